package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.JobCost;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.function.Supplier;

/**
 * Scorer calls through the worker's slots: each attempt waits for a slot of its lane ({@link
 * LaneGate}) and holds none while the {@link RetryPolicy} backs off; each call is timed and counted
 * in the scorer's capacity and metrics. What goes into a call, and what becomes of its scores, is
 * the {@link MicroBatcher}'s.
 */
final class ScorerSlots {

    /** The scores of one call and how long it took; {@code scores} null when no call was made. */
    record Timed(Scores scores, long millis) {}

    private final Scorer scorer;
    private final LaneGate gate;
    private final RetryPolicy retry;
    private final ScorerCapacity capacity;
    private final ScoringMetrics metrics;

    ScorerSlots(
            Scorer scorer,
            LaneGate gate,
            RetryPolicy retry,
            ScorerCapacity capacity,
            ScoringMetrics metrics) {
        this.scorer = scorer;
        this.gate = gate;
        this.retry = retry;
        this.capacity = capacity;
        this.metrics = metrics;
    }

    /**
     * Tokens {@code pairs} are charged as sent, the unit this worker's capacity is announced in.
     */
    private static long chargedTokens(List<ScorePair> pairs) {
        long t = 0;
        for (ScorePair p : pairs) {
            t += JobCost.pairTokens(p.query(), p.instruction(), p.document());
        }
        return t;
    }

    /**
     * One scorer call of the pairs {@code toSend} gives when the call gets its slot; {@code null}
     * when it gives none.
     */
    Uni<Timed> call(SlotRequest request, Supplier<List<ScorePair>> toSend) {
        // each attempt takes a slot of its own, so a call backing off between retries holds none
        return gate.run(
                        request,
                        () -> {
                            List<ScorePair> chunk = toSend.get();
                            if (chunk.isEmpty()) {
                                return Uni.createFrom().<Timed>nullItem();
                            }
                            long start = System.nanoTime();
                            return scorer.score(chunk, request)
                                    .onSubscription()
                                    .invoke(() -> capacity.started(System.nanoTime()))
                                    .onTermination()
                                    .invoke(
                                            (s, failure, cancelled) ->
                                                    capacity.ended(
                                                            System.nanoTime(),
                                                            s == null ? 0 : chunk.size(),
                                                            s == null ? 0 : chargedTokens(chunk)))
                                    .map(
                                            s -> {
                                                long nanos = System.nanoTime() - start;
                                                metrics.scored(nanos, chunk.size(), s.tokens());
                                                capacity.callTook(nanos / 1_000_000);
                                                return new Timed(s, nanos / 1_000_000);
                                            });
                        })
                .plug(retry::apply);
    }
}
