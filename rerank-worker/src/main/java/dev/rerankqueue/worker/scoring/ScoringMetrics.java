package dev.rerankqueue.worker.scoring;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * What the scorer calls of {@link MicroBatcher} report: each call's time, pairs and tokens, the
 * pairs left out because their jobs were cancelled, the calls given up, and the model's context as
 * the scorer knows it.
 */
final class ScoringMetrics {

    private final Timer callTime;
    private final DistributionSummary callPairs;
    private final DistributionSummary callTokens;
    private final Counter droppedPairs;
    private final Counter abandonedCalls;

    ScoringMetrics(MeterRegistry metrics, Scorer scorer) {
        Gauge.builder(
                        "rerank.scorer.context.tokens",
                        scorer,
                        s -> s.contextTokens() == Integer.MAX_VALUE ? 0 : s.contextTokens())
                .strongReference(true)
                .description(
                        "Tokens of one prompt the model takes (vLLM's max_model_len once read); 0"
                                + " while not known")
                .register(metrics);
        this.callTime =
                Timer.builder("rerank.scoring")
                        .description("Time of one scorer call (one micro-batch)")
                        .publishPercentileHistogram()
                        .register(metrics);
        this.callPairs =
                DistributionSummary.builder("rerank.batch.pairs")
                        .description("Pairs per scorer call")
                        .baseUnit("pairs")
                        .publishPercentileHistogram()
                        .register(metrics);
        this.callTokens =
                DistributionSummary.builder("rerank.batch.tokens")
                        .description("Tokens per scorer call")
                        .baseUnit("tokens")
                        .publishPercentileHistogram()
                        .register(metrics);
        this.droppedPairs =
                Counter.builder("rerank.pairs.dropped")
                        .description(
                                "Pairs not scored because their job was cancelled: left out of a call, or their call given up")
                        .register(metrics);
        this.abandonedCalls =
                Counter.builder("rerank.scorer.calls.abandoned")
                        .description(
                                "Scorer calls given up because every job in them was cancelled: before their slot, or aborted at the model server")
                        .register(metrics);
    }

    /**
     * A scorer call of {@code pairs} pairs, in which the model read {@code tokens}, took {@code
     * nanos}.
     */
    void scored(long nanos, int pairs, int[] tokens) {
        callTime.record(Duration.ofNanos(nanos));
        callPairs.record(pairs);
        long t = 0;
        for (int x : tokens) {
            t += x;
        }
        callTokens.record(t);
    }

    /** {@code pairs} were left out of a call because their jobs were cancelled. */
    void dropped(int pairs) {
        droppedPairs.increment(pairs);
    }

    /** A call of {@code pairs} was given up: every job in it was cancelled. */
    void abandoned(int pairs) {
        droppedPairs.increment(pairs);
        abandonedCalls.increment();
    }
}
