package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.JobCost;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.worker.config.WorkerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * Scores the pairs of many jobs together: drops duplicates, takes what the {@link ScoreCache}
 * knows, sorts the rest by length (so a batch pads little), packs micro-batches under a pair cap
 * and a token budget, keeps a configured number of scorer calls in flight, and scatters the scores
 * back in input order. A pair the model refuses is isolated by splitting its call, so it fails only
 * its own job.
 */
@ApplicationScoped
public class MicroBatcher {

    private final Scorer scorer;
    private final CallPacker packer;
    private final LaneGate gate;
    private final RetryPolicy retry;
    private final ScoringMetrics metrics;
    private final ScoreCache cache;
    private final ScorerCapacity capacity;

    @Inject
    public MicroBatcher(Scorer scorer, WorkerConfig config, MeterRegistry metrics) {
        this(
                scorer,
                config,
                metrics,
                new ScoreCache(
                        config.cache().maxEntries(),
                        config.cache().ttl(),
                        config.cache().sharedAcrossTenants(),
                        metrics));
    }

    MicroBatcher(Scorer scorer, WorkerConfig config, MeterRegistry metrics, ScoreCache cache) {
        this.scorer = scorer;
        this.cache = cache;
        this.packer = new CallPacker(config.batch().maxPairs(), config.batch().maxTokens());
        int slots = config.batch().inFlight().orElse(2 * scorer.preferredInFlight());
        this.gate =
                new LaneGate(
                        slots,
                        config.lanes().batchMaxSlots().orElse(Math.max(1, slots / 2)),
                        config.lanes().interactiveWeight(),
                        config.lanes().batchWeight(),
                        metrics);
        this.retry = RetryPolicy.of(config.scorer());
        this.capacity = new ScorerCapacity(config.capacity().window(), Duration.ofMillis(500));
        this.metrics = new ScoringMetrics(metrics, scorer);
    }

    /**
     * Scores of all pairs and, per pair, the milliseconds of the scorer call that held it.
     *
     * @param values relevance score of pair i
     * @param tokens tokens the model read for pair i
     * @param callMs duration of the scorer call that scored pair i
     * @param callOf which scorer call scored pair i (duplicates share one)
     * @param calls how many scorer calls were made
     * @param refusals why the model refused pair i, or {@code null} where it scored it: a refused
     *     pair fails its own job, never the jobs whose pairs shared a call with it
     */
    public record Result(
            double[] values,
            int[] tokens,
            boolean[] truncated,
            long[] callMs,
            int[] callOf,
            int calls,
            String[] refusals) {

        /** Why the model refused pair i, or {@code null}. */
        public String refusal(int i) {
            return refusals[i];
        }
    }

    /** Pairs per second of busy scorer time, measured over the configured window. */
    public ScorerCapacity capacity() {
        return capacity;
    }

    public String model() {
        return scorer.model();
    }

    /**
     * The scorer this batcher calls, for what a request's own options need from it: token counts,
     * its context, raw scores.
     */
    public Scorer scorer() {
        return scorer;
    }

    /**
     * Scores {@code pairs} in scorer slots of {@code lane}. After each scorer call {@code onScored}
     * gets the indices (into {@code pairs}) of the pairs it scored, duplicates included. A call the
     * model refuses for its input (one over-long pair among many) is split in halves until the
     * refused pairs stand alone: they come back with their {@link Result#refusal(int) refusal},
     * every other pair with its score.
     *
     * <p>{@code abandoned} says which input pairs are no longer wanted (their job was cancelled). A
     * scorer call is checked when it gets its slot, just before it is sent: pairs abandoned by then
     * are left out, and a call with none left is not made; a call waiting or running whose pairs
     * all become abandoned is given up, which aborts it at the model server. So a cancelled job
     * stops taking model time within about {@value #ABANDON_CHECK_MS} ms, except for a forward pass
     * already running.
     */
    public Uni<Result> score(
            List<ScorePair> pairs,
            Priority lane,
            Consumer<int[]> onScored,
            IntPredicate abandoned) {
        return new Run(UniquePairs.of(pairs), lane, onScored, abandoned).score();
    }

    /**
     * What became of one unique pair: scored by call {@code call}, taken from the cache, refused.
     */
    private record Outcome(
            double value, int tokens, boolean truncated, long callMs, int call, String refusal) {

        /** A pair never scored: given up, or left out as abandoned. */
        static final Outcome NONE = new Outcome(0, 0, false, 0, 0, null);

        /** No call: no scorer time. */
        static Outcome cached(ScoreCache.Entry known) {
            return new Outcome(known.value(), known.tokens(), known.truncated(), 0, -1, null);
        }

        static Outcome refused(String why) {
            return new Outcome(0, 0, false, 0, 0, why);
        }
    }

    /** One {@link #score} call: the unique pairs and what became of each. */
    private final class Run {
        private final UniquePairs unique;
        private final Priority lane;
        private final Consumer<int[]> onScored;
        private final IntPredicate abandoned;
        private final String model = scorer.model();
        private final Outcome[] outcomes;

        /** Each unique pair's score-cache key, computed once for the lookup and the store. */
        private final ScoreCache.Key[] keys;

        private final AtomicInteger calls = new AtomicInteger();

        Run(UniquePairs unique, Priority lane, Consumer<int[]> onScored, IntPredicate abandoned) {
            this.unique = unique;
            this.lane = lane;
            this.onScored = onScored;
            this.abandoned = abandoned;
            this.outcomes = new Outcome[unique.size()];
            this.keys = new ScoreCache.Key[unique.size()];
        }

        Uni<Result> score() {
            List<Integer> misses = new ArrayList<>(unique.size());
            List<Integer> hits = new ArrayList<>();
            for (int u = 0; u < unique.size(); u++) {
                keys[u] = cache.keyOf(model, unique.get(u));
                ScoreCache.Entry known = cache.get(keys[u]);
                if (known == null) {
                    misses.add(u);
                } else {
                    hits.add(u);
                    outcomes[u] = Outcome.cached(known);
                }
            }
            if (!hits.isEmpty()) {
                onScored.accept(unique.inputsOf(hits));
            }
            List<Uni<Void>> chunks =
                    packer.pack(misses.stream().map(unique::get).toList()).stream()
                            .map(chunk -> chunk.stream().map(misses::get).toList())
                            .map(chunk -> Uni.createFrom().deferred(() -> call(chunk)))
                            .toList();
            return Multi.createFrom()
                    .iterable(chunks)
                    // every call is queued at once: the lane gate, shared by all batches of the
                    // worker, bounds what runs
                    .onItem()
                    .transformToUni(u -> u)
                    .merge(Math.max(1, chunks.size()))
                    .collect()
                    .last()
                    .map(ignored -> result());
        }

        /**
         * Scores the unique pairs {@code chunk} in one call, or in halves if the model refuses the
         * call's input; pairs abandoned by the time the call gets its slot are left out of it, and
         * a call whose pairs are all abandoned while it waits or runs is given up (at the model
         * server: aborted, see {@link VllmScorer}).
         */
        private Uni<Void> call(List<Integer> chunk) {
            AtomicReference<List<Integer>> sent = new AtomicReference<>(chunk);
            Uni<Timed> scoring =
                    timedCall(
                            lane,
                            () -> {
                                List<Integer> live =
                                        chunk.stream().filter(u -> !abandoned(u)).toList();
                                sent.set(live);
                                return live.stream().map(unique::get).toList();
                            });
            Uni<Timed> givenUp =
                    Multi.createFrom()
                            .ticks()
                            .every(ABANDON_CHECK)
                            .filter(tick -> sent.get().stream().allMatch(this::abandoned))
                            .select()
                            .first()
                            .toUni()
                            .replaceWith(GIVEN_UP);
            return settle(chunk, sent, Uni.combine().any().of(scoring, givenUp));
        }

        /**
         * What {@code scoring} gave for {@code chunk}, of which {@code sent} went to the model:
         * stored, split or given up.
         */
        private Uni<Void> settle(
                List<Integer> chunk, AtomicReference<List<Integer>> sent, Uni<Timed> scoring) {
            return scoring.onItem()
                    .invoke(scored -> stored(chunk, sent.get(), scored))
                    .replaceWithVoid()
                    .onFailure(ScorerException::inputRefused)
                    .recoverWithUni(refusal -> split(sent.get(), refusal));
        }

        private void stored(List<Integer> chunk, List<Integer> live, Timed scored) {
            if (scored == GIVEN_UP) {
                metrics.abandoned(chunk.size());
                return;
            }
            if (live.size() < chunk.size()) {
                metrics.dropped(chunk.size() - live.size());
            }
            if (scored != null) {
                store(live, scored, calls.getAndIncrement());
            }
        }

        /** A call the model refused: its pairs again in halves, or a lone pair refused. */
        private Uni<Void> split(List<Integer> live, Throwable refusal) {
            if (live.size() <= 1) {
                live.forEach(u -> outcomes[u] = Outcome.refused(refusal.getMessage()));
                scored(live);
                return Uni.createFrom().voidItem();
            }
            int half = live.size() / 2;
            return Uni.join()
                    .all(call(live.subList(0, half)), call(live.subList(half, live.size())))
                    .andFailFast()
                    .replaceWithVoid();
        }

        /** Whether every input pair that unique pair {@code u} stands for is abandoned. */
        private boolean abandoned(int u) {
            return unique.allInputs(u, abandoned);
        }

        private void store(List<Integer> chunk, Timed scored, int call) {
            Scores s = scored.scores();
            for (int k = 0; k < chunk.size(); k++) {
                int u = chunk.get(k);
                outcomes[u] =
                        new Outcome(
                                s.values()[k],
                                s.tokens()[k],
                                s.truncated()[k],
                                scored.millis(),
                                call,
                                null);
                cache.put(
                        keys[u],
                        new ScoreCache.Entry(s.values()[k], s.tokens()[k], s.truncated()[k]));
            }
            scored(chunk);
        }

        private void scored(List<Integer> chunk) {
            onScored.accept(unique.inputsOf(chunk));
        }

        /** The outcomes scattered back to the input pairs, in input order. */
        private Result result() {
            int n = unique.inputCount();
            Result r =
                    new Result(
                            new double[n],
                            new int[n],
                            new boolean[n],
                            new long[n],
                            new int[n],
                            calls.get(),
                            new String[n]);
            for (int i = 0; i < n; i++) {
                Outcome o = outcomes[unique.of(i)];
                if (o == null) {
                    o = Outcome.NONE;
                }
                r.values()[i] = o.value();
                r.tokens()[i] = o.tokens();
                r.truncated()[i] = o.truncated();
                r.callMs()[i] = o.callMs();
                r.callOf()[i] = o.call();
                r.refusals()[i] = o.refusal();
            }
            return r;
        }
    }

    private record Timed(Scores scores, long millis) {}

    /** How often a waiting or running call checks whether its pairs' jobs were all cancelled. */
    static final long ABANDON_CHECK_MS = 100;

    private static final Duration ABANDON_CHECK = Duration.ofMillis(ABANDON_CHECK_MS);

    /** A call given up because every pair in it was abandoned. */
    private static final Timed GIVEN_UP = new Timed(null, -1);

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
    private Uni<Timed> timedCall(Priority lane, Supplier<List<ScorePair>> toSend) {
        // each attempt takes a slot of its own, so a call backing off between retries holds none
        return gate.run(
                        lane,
                        () -> {
                            List<ScorePair> chunk = toSend.get();
                            if (chunk.isEmpty()) {
                                return Uni.createFrom().<Timed>nullItem();
                            }
                            long start = System.nanoTime();
                            return scorer.score(chunk, lane)
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
                                                return new Timed(s, nanos / 1_000_000);
                                            });
                        })
                .plug(retry::apply);
    }
}
