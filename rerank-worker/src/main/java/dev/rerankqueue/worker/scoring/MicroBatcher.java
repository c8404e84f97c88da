package dev.rerankqueue.worker.scoring;

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
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

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
    private final ScorerSlots slots;
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
        LaneGate gate =
                new LaneGate(
                        slots,
                        config.lanes().batchMaxSlots().orElse(Math.max(1, slots / 2)),
                        config.lanes().interactiveWeight(),
                        config.lanes().batchWeight(),
                        new TenantTurns.Shares(
                                config.fairness().quantumTokens(),
                                config.fairness().weights(),
                                config.fairness().defaultWeight()),
                        metrics);
        this.capacity = new ScorerCapacity(config.capacity().window(), Duration.ofMillis(500));
        this.metrics = new ScoringMetrics(metrics, scorer);
        this.slots =
                new ScorerSlots(
                        scorer, gate, RetryPolicy.of(config.scorer()), capacity, this.metrics);
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
     * What became of some input pairs: {@code entries[k]} is the score of pair {@code inputs[k]}
     * (an index into the scored list), or {@code null} where the model refused that pair.
     */
    public record ScoredPairs(int[] inputs, ScoreCache.Entry[] entries) {}

    /** As {@link #score(List, PairOwner, Consumer, IntPredicate, IntFunction)}, nothing known. */
    public Uni<Result> score(
            List<ScorePair> pairs,
            Priority lane,
            Consumer<ScoredPairs> onScored,
            IntPredicate abandoned) {
        return score(pairs, PairOwner.of(lane), onScored, abandoned, i -> null);
    }

    /**
     * Scores {@code pairs} in scorer slots of the owner's lane, in its tenant's turns ({@link
     * PairOwner}). After each scorer call {@code onScored} gets the pairs it scored, duplicates
     * included, with their scores. A call the model refuses for its input (one over-long pair among
     * many) is split in halves until the refused pairs stand alone: they come back with their
     * {@link Result#refusal(int) refusal}, every other pair with its score.
     *
     * <p>{@code abandoned} says which input pairs are no longer wanted (their job was cancelled). A
     * scorer call is checked when it gets its slot, just before it is sent: pairs abandoned by then
     * are left out, and a call with none left is not made; a call waiting or running whose pairs
     * all become abandoned is given up, which aborts it at the model server. So a cancelled job
     * stops taking model time within about {@value #ABANDON_CHECK_MS} ms, except for a forward pass
     * already running.
     *
     * <p>{@code known} gives the score of input pair i where it was already scored (a job taken
     * over from a worker that died: {@code ScoreCheckpoints}), or {@code null}; known pairs are
     * neither looked up in the cache nor sent to the model, and go to {@code onScored} first.
     */
    public Uni<Result> score(
            List<ScorePair> pairs,
            PairOwner owner,
            Consumer<ScoredPairs> onScored,
            IntPredicate abandoned,
            IntFunction<ScoreCache.Entry> known) {
        return new Run(UniquePairs.of(pairs), owner, onScored, abandoned).score(known);
    }

    /** One {@link #score} call: the unique pairs and what became of each. */
    private final class Run {
        private final UniquePairs unique;
        private final PairOwner owner;
        private final Consumer<ScoredPairs> onScored;
        private final IntPredicate abandoned;
        private final String model = scorer.model();
        private final PairOutcome[] outcomes;

        /** Each unique pair's score-cache key, computed once for the lookup and the store. */
        private final ScoreCache.Key[] keys;

        private final AtomicInteger calls = new AtomicInteger();

        Run(
                UniquePairs unique,
                PairOwner owner,
                Consumer<ScoredPairs> onScored,
                IntPredicate abandoned) {
            this.unique = unique;
            this.owner = owner;
            this.onScored = onScored;
            this.abandoned = abandoned;
            this.outcomes = new PairOutcome[unique.size()];
            this.keys = new ScoreCache.Key[unique.size()];
        }

        Uni<Result> score(IntFunction<ScoreCache.Entry> known) {
            List<Integer> misses = new ArrayList<>(unique.size());
            List<Integer> hits = new ArrayList<>();
            for (int u = 0; u < unique.size(); u++) {
                ScoreCache.Entry entry = knownOf(u, known);
                if (entry == null) {
                    keys[u] = cache.keyOf(model, unique.get(u));
                    entry = cache.get(keys[u]);
                }
                if (entry == null) {
                    misses.add(u);
                } else {
                    hits.add(u);
                    outcomes[u] = PairOutcome.cached(entry);
                }
            }
            if (!hits.isEmpty()) {
                scored(hits);
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
            Uni<ScorerSlots.Timed> scoring =
                    slots.call(
                            slotRequest(chunk),
                            () -> {
                                List<Integer> live = chunk.stream().filter(this::sendNow).toList();
                                sent.set(live);
                                return live.stream().map(unique::get).toList();
                            });
            Uni<ScorerSlots.Timed> givenUp =
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
                List<Integer> chunk,
                AtomicReference<List<Integer>> sent,
                Uni<ScorerSlots.Timed> scoring) {
            return scoring.onItem()
                    .invoke(scored -> stored(chunk, sent.get(), scored))
                    .replaceWithVoid()
                    .onFailure(ScorerException::inputRefused)
                    .recoverWithUni(refusal -> split(sent.get(), refusal));
        }

        private void stored(List<Integer> chunk, List<Integer> live, ScorerSlots.Timed scored) {
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
                live.forEach(u -> outcomes[u] = PairOutcome.refused(refusal.getMessage()));
                scored(live);
                return Uni.createFrom().voidItem();
            }
            int half = live.size() / 2;
            return Uni.join()
                    .all(call(live.subList(0, half)), call(live.subList(half, live.size())))
                    .andFailFast()
                    .replaceWithVoid();
        }

        /**
         * The lane, tenant, earliest deadline and estimated tokens of the call of {@code chunk}.
         */
        private SlotRequest slotRequest(List<Integer> chunk) {
            long deadline = Long.MAX_VALUE;
            long tokens = 0;
            for (int u : chunk) {
                tokens += unique.get(u).estimatedTokens();
                for (int i : unique.inputsOf(u)) {
                    deadline = Math.min(deadline, owner.deadlineOf().applyAsLong(i));
                }
            }
            return new SlotRequest(
                    owner.lane(), owner.tenant(), deadline, tokens, owner.overflow());
        }

        /**
         * Whether unique pair {@code u} goes into the call that got its slot: some input pair it
         * stands for is neither abandoned nor held back by its owner (every one of them is asked).
         */
        private boolean sendNow(int u) {
            boolean send = false;
            for (int i : unique.inputsOf(u)) {
                if (!abandoned.test(i) && owner.sendNow().test(i)) {
                    send = true;
                }
            }
            return send;
        }

        /** Whether every input pair that unique pair {@code u} stands for is abandoned. */
        private boolean abandoned(int u) {
            return unique.allInputs(u, abandoned);
        }

        private void store(List<Integer> chunk, ScorerSlots.Timed scored, int call) {
            Scores s = scored.scores();
            for (int k = 0; k < chunk.size(); k++) {
                int u = chunk.get(k);
                outcomes[u] =
                        new PairOutcome(
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

        /** What {@code known} gives for any input pair that unique pair {@code u} stands for. */
        private ScoreCache.Entry knownOf(int u, IntFunction<ScoreCache.Entry> known) {
            for (int i : unique.inputsOf(u)) {
                ScoreCache.Entry entry = known.apply(i);
                if (entry != null) {
                    return entry;
                }
            }
            return null;
        }

        private void scored(List<Integer> chunk) {
            int[] inputs = unique.inputsOf(chunk);
            ScoreCache.Entry[] entries = new ScoreCache.Entry[inputs.length];
            for (int k = 0; k < inputs.length; k++) {
                PairOutcome o = outcomes[unique.of(inputs[k])];
                entries[k] =
                        o.refusal() != null
                                ? null
                                : new ScoreCache.Entry(o.value(), o.tokens(), o.truncated());
            }
            onScored.accept(new ScoredPairs(inputs, entries));
        }

        /** The outcomes scattered back to the input pairs, in input order. */
        private Result result() {
            return PairOutcome.scatter(unique, outcomes, calls.get());
        }
    }

    /** How often a waiting or running call checks whether its pairs' jobs were all cancelled. */
    static final long ABANDON_CHECK_MS = 100;

    private static final Duration ABANDON_CHECK = Duration.ofMillis(ABANDON_CHECK_MS);

    /** A call given up because every pair in it was abandoned. */
    private static final ScorerSlots.Timed GIVEN_UP = new ScorerSlots.Timed(null, -1);
}
