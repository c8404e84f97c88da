package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.worker.config.WorkerConfig;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How a failed scorer call is retried: only {@link ScorerException#retryable(Throwable) retryable}
 * failures, with exponential backoff and jitter, until the attempts or the time budget run out;
 * then the call's jobs fail.
 *
 * @param attempts calls in all, the first included
 * @param backoff first delay, doubled per attempt
 * @param maxBackoff longest delay
 * @param budget time after which no new attempt starts
 */
public record RetryPolicy(int attempts, Duration backoff, Duration maxBackoff, Duration budget) {

    public static RetryPolicy of(WorkerConfig.Scorer config) {
        return new RetryPolicy(
                config.attempts(),
                config.retryBackoff(),
                config.retryMaxBackoff(),
                config.retryBudget());
    }

    public <T> Uni<T> apply(Uni<T> call) {
        if (attempts <= 1) {
            return call;
        }
        return Uni.createFrom()
                .deferred(
                        () -> {
                            AtomicInteger failures = new AtomicInteger();
                            AtomicReference<Throwable> last = new AtomicReference<>();
                            long start = System.nanoTime();
                            return call.onFailure()
                                    .invoke(last::set)
                                    .onFailure(
                                            t ->
                                                    ScorerException.retryable(t)
                                                            && failures.incrementAndGet()
                                                                    < attempts)
                                    .retry()
                                    .withBackOff(backoff, maxBackoff)
                                    .withJitter(0.5)
                                    .expireIn(budget.toMillis())
                                    .onFailure()
                                    .transform(
                                            e -> {
                                                Throwable cause = last.get();
                                                int tries =
                                                        failures.get()
                                                                + (ScorerException.retryable(cause)
                                                                        ? 0
                                                                        : 1);
                                                if (cause == null || tries <= 1) {
                                                    return e; // failed once, not retried: its own
                                                    // message says it best
                                                }
                                                long seconds =
                                                        (System.nanoTime() - start)
                                                                / 1_000_000_000L;
                                                return new ScorerException(
                                                        "gave up after "
                                                                + tries
                                                                + " failed attempts in "
                                                                + seconds
                                                                + " s; last error: "
                                                                + cause.getMessage(),
                                                        false,
                                                        cause);
                                            });
                        });
    }
}
