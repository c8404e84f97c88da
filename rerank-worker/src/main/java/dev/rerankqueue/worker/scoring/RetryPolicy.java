package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.worker.config.WorkerConfig;
import io.smallrye.mutiny.Uni;
import java.time.Duration;

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
                            Tries tries = new Tries(System.nanoTime());
                            return call.onFailure()
                                    .invoke(tries::failed)
                                    .onFailure(tries::worthAnother)
                                    .retry()
                                    .withBackOff(backoff, maxBackoff)
                                    .withJitter(0.5)
                                    .expireIn(budget.toMillis())
                                    .onFailure()
                                    .transform(tries::givenUp);
                        });
    }

    /** The failures of one call's attempts so far. */
    private final class Tries {
        private final long start;
        // attempts run one after another, possibly on different threads
        private volatile int retryable;
        private volatile Throwable last;

        Tries(long start) {
            this.start = start;
        }

        void failed(Throwable t) {
            last = t;
        }

        /** Whether {@code t} is retried: retryable, and attempts are left. */
        boolean worthAnother(Throwable t) {
            return ScorerException.retryable(t) && ++retryable < attempts;
        }

        /**
         * What the call fails with once no attempt is left: {@code e} itself when the call failed
         * once and was not retried (its own message says it best), else how many attempts failed
         * over how long, and the last error.
         */
        Throwable givenUp(Throwable e) {
            int tries = retryable + (ScorerException.retryable(last) ? 0 : 1);
            if (last == null || tries <= 1) {
                return e;
            }
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            return new ScorerException(
                    "gave up after "
                            + tries
                            + " failed attempts in "
                            + seconds
                            + " s; last error: "
                            + last.getMessage(),
                    false,
                    last);
        }
    }
}
