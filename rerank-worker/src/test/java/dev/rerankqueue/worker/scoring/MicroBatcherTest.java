package dev.rerankqueue.worker.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.job.Priority;
import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.worker.config.CapacityConfig;
import dev.rerankqueue.worker.config.Fairness;
import dev.rerankqueue.worker.config.WorkerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/**
 * Packing and scattering, with a scorer that scores by document length so every score can be
 * checked.
 */
class MicroBatcherTest {

    /** A batch whose progress nobody follows. */
    static final Consumer<MicroBatcher.ScoredPairs> NOT_FOLLOWED = scored -> {};

    /** A batch none of whose jobs is cancelled. */
    static final IntPredicate NONE_ABANDONED = i -> false;

    /** Scores a pair by its document's length and records each call. */
    static class LengthScorer implements Scorer {
        final List<List<ScorePair>> calls = new CopyOnWriteArrayList<>();
        final AtomicInteger failuresLeft = new AtomicInteger();

        public String model() {
            return "length";
        }

        public boolean isReady() {
            return true;
        }

        public Uni<Scores> score(List<ScorePair> pairs) {
            calls.add(pairs);
            if (failuresLeft.getAndDecrement() > 0) {
                return Uni.createFrom().failure(new IllegalStateException("scorer down"));
            }
            double[] v = new double[pairs.size()];
            int[] t = new int[pairs.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = pairs.get(i).document().length();
                t[i] = 1;
            }
            return Uni.createFrom().item(new Scores(v, t));
        }
    }

    static WorkerConfig config(int maxPairs, int maxTokens, int attempts) {
        return new WorkerConfig() {
            public Optional<String> id() {
                return Optional.of("test");
            }

            public Duration takeOverWait() {
                return Duration.ofSeconds(10);
            }

            public String pool() {
                return ModelPool.DEFAULT;
            }

            public Batch batch() {
                return new Batch() {
                    public int maxPairs() {
                        return maxPairs;
                    }

                    public int maxTokens() {
                        return maxTokens;
                    }

                    public Optional<Integer> inFlight() {
                        return Optional.of(2);
                    }

                    public int kafkaBatchesInFlight() {
                        return 2;
                    }

                    @Override
                    public long lookAheadBytes() {
                        return 4 << 20;
                    }
                };
            }

            public Scorer scorer() {
                return new Scorer() {
                    public WorkerConfig.ScorerType type() {
                        return WorkerConfig.ScorerType.ONNX;
                    }

                    public int attempts() {
                        return attempts;
                    }

                    public Duration retryBackoff() {
                        return Duration.ofMillis(1);
                    }

                    public Duration retryMaxBackoff() {
                        return Duration.ofMillis(5);
                    }

                    public Duration retryBudget() {
                        return Duration.ofSeconds(10);
                    }

                    public Onnx onnx() {
                        return null;
                    }

                    public Vllm vllm() {
                        return null;
                    }
                };
            }

            public Results results() {
                return null;
            }

            public CapacityConfig capacity() {
                return new CapacityConfig() {
                    public Optional<Double> pairsPerSecond() {
                        return Optional.empty();
                    }

                    public Optional<Double> tokensPerSecond() {
                        return Optional.empty();
                    }

                    public Duration window() {
                        return Duration.ofSeconds(30);
                    }
                };
            }

            public Shutdown shutdown() {
                return null;
            }

            public Progress progress() {
                return null;
            }

            public Lanes lanes() {
                return new Lanes() {
                    public int interactiveWeight() {
                        return 9;
                    }

                    public int batchWeight() {
                        return 1;
                    }

                    public Optional<Integer> batchMaxSlots() {
                        return Optional.empty();
                    }
                };
            }

            public Fairness fairness() {
                return new Fairness() {
                    public long quantumTokens() {
                        return 256;
                    }

                    public Map<String, Integer> weights() {
                        return Map.of();
                    }

                    public int defaultWeight() {
                        return 1;
                    }
                };
            }

            public Cache cache() {
                return new Cache() {
                    public long maxEntries() {
                        return 0;
                    }

                    public Duration ttl() {
                        return Duration.ofHours(1);
                    }

                    public boolean sharedAcrossTenants() {
                        return false;
                    }
                };
            }

            public Checkpoints checkpoints() {
                return new Checkpoints() {
                    public boolean enabled() {
                        return false;
                    }

                    public Duration ttl() {
                        return Duration.ofMinutes(10);
                    }
                };
            }
        };
    }

    private static List<ScorePair> docs(int... lengths) {
        List<ScorePair> out = new ArrayList<>();
        for (int n : lengths) {
            out.add(new ScorePair(null, "q", "x".repeat(n)));
        }
        return out;
    }

    @Test
    void scattersScoresBackInInputOrder() {
        LengthScorer scorer = new LengthScorer();
        MicroBatcher b = new MicroBatcher(scorer, config(2, 100_000, 1), new SimpleMeterRegistry());
        MicroBatcher.Result r =
                b.score(
                                docs(30, 10, 20, 40, 50),
                                Priority.INTERACTIVE,
                                NOT_FOLLOWED,
                                NONE_ABANDONED)
                        .await()
                        .indefinitely();
        assertEquals(
                List.of(30.0, 10.0, 20.0, 40.0, 50.0), Arrays.stream(r.values()).boxed().toList());
        assertEquals(3, r.calls());
        assertTrue(scorer.calls.stream().allMatch(c -> c.size() <= 2), "pair cap");
    }

    @Test
    void scoresEqualPairsOnce() {
        LengthScorer scorer = new LengthScorer();
        MicroBatcher b =
                new MicroBatcher(scorer, config(64, 100_000, 1), new SimpleMeterRegistry());
        MicroBatcher.Result r =
                b.score(docs(5, 5, 5, 7), Priority.INTERACTIVE, NOT_FOLLOWED, NONE_ABANDONED)
                        .await()
                        .indefinitely();
        assertEquals(2, scorer.calls.get(0).size());
        assertEquals(5.0, r.values()[2]);
        assertEquals(7.0, r.values()[3]);
    }

    @Test
    void aKnownScoreIsNotSentToTheModelAndIsReportedWithTheRest() {
        LengthScorer scorer = new LengthScorer();
        MicroBatcher b =
                new MicroBatcher(scorer, config(64, 100_000, 1), new SimpleMeterRegistry());
        ScoreCache.Entry known = new ScoreCache.Entry(0.5, 3, true);
        Map<Integer, ScoreCache.Entry> reported = new ConcurrentHashMap<>();
        MicroBatcher.Result r =
                b.score(
                                docs(5, 6, 7, 6),
                                PairOwner.of(Priority.INTERACTIVE),
                                scored -> {
                                    for (int k = 0; k < scored.inputs().length; k++) {
                                        reported.put(scored.inputs()[k], scored.entries()[k]);
                                    }
                                },
                                NONE_ABANDONED,
                                i -> i == 3 ? known : null)
                        .await()
                        .indefinitely();
        // pair 1 equals the known pair 3: neither is sent
        assertEquals(
                List.of(5, 7),
                scorer.calls.stream()
                        .flatMap(List::stream)
                        .map(p -> p.document().length())
                        .sorted()
                        .toList());
        assertEquals(List.of(5.0, 0.5, 7.0, 0.5), Arrays.stream(r.values()).boxed().toList());
        assertEquals(3, r.tokens()[1]);
        assertTrue(r.truncated()[3]);
        assertEquals(known, reported.get(1));
        assertEquals(new ScoreCache.Entry(7.0, 1, false), reported.get(2));
        assertEquals(4, reported.size());
    }

    @Test
    void reportsEveryInputPairOnceAsItsCallEnds() {
        LengthScorer scorer = new LengthScorer();
        MicroBatcher b = new MicroBatcher(scorer, config(2, 100_000, 1), new SimpleMeterRegistry());
        List<int[]> reports = new CopyOnWriteArrayList<>();
        b.score(
                        docs(5, 9, 5, 7, 11),
                        Priority.BATCH,
                        scored -> reports.add(scored.inputs()),
                        NONE_ABANDONED)
                .await()
                .indefinitely();
        assertEquals(scorer.calls.size(), reports.size(), "one report per scorer call");
        List<Integer> all = reports.stream().flatMapToInt(Arrays::stream).sorted().boxed().toList();
        assertEquals(
                List.of(0, 1, 2, 3, 4),
                all,
                "duplicates are reported with the pair they share a score with");
    }

    @Test
    void packsShortestFirstUnderTheTokenBudget() {
        // estimated tokens: chars/4 + 8 -> 400 chars = 108 tokens (alone, over budget), 40 chars =
        // 18 tokens
        List<List<Integer>> chunks = new CallPacker(64, 60).pack(docs(400, 40, 40, 40, 4));
        assertEquals(List.of(List.of(4, 1, 2), List.of(3), List.of(0)), chunks);
    }

    @Test
    void retriesAFailedCallThenGivesUp() {
        LengthScorer flaky = new LengthScorer();
        flaky.failuresLeft.set(2);
        MicroBatcher.Result r =
                new MicroBatcher(flaky, config(64, 100_000, 3), new SimpleMeterRegistry())
                        .score(docs(3), Priority.INTERACTIVE, NOT_FOLLOWED, NONE_ABANDONED)
                        .await()
                        .indefinitely();
        assertEquals(3.0, r.values()[0]);
        assertEquals(3, flaky.calls.size());

        LengthScorer down = new LengthScorer();
        down.failuresLeft.set(100);
        MicroBatcher batcher =
                new MicroBatcher(down, config(64, 100_000, 3), new SimpleMeterRegistry());
        ScorerException gaveUp =
                assertThrows(
                        ScorerException.class,
                        () ->
                                batcher.score(
                                                docs(3),
                                                Priority.INTERACTIVE,
                                                NOT_FOLLOWED,
                                                NONE_ABANDONED)
                                        .await()
                                        .indefinitely());
        assertEquals(3, down.calls.size());
        assertTrue(
                gaveUp.getMessage().startsWith("gave up after 3 failed attempts in "),
                gaveUp.getMessage());
        assertTrue(gaveUp.getMessage().contains("last error: "), gaveUp.getMessage());
    }

    @Test
    void aPairScoredBeforeCostsNoScorerCall() {
        LengthScorer scorer = new LengthScorer();
        ScoreCache cache = new ScoreCache(1000, Duration.ofHours(1), new SimpleMeterRegistry());
        MicroBatcher b =
                new MicroBatcher(scorer, config(64, 100_000, 1), new SimpleMeterRegistry(), cache);
        MicroBatcher.Result first =
                b.score(docs(3, 5), Priority.INTERACTIVE, NOT_FOLLOWED, NONE_ABANDONED)
                        .await()
                        .indefinitely();
        MicroBatcher.Result again =
                b.score(docs(5, 7, 3), Priority.INTERACTIVE, NOT_FOLLOWED, NONE_ABANDONED)
                        .await()
                        .indefinitely();
        assertEquals(2, scorer.calls.size());
        assertEquals(
                List.of(new ScorePair(null, "q", "x".repeat(7))),
                scorer.calls.get(1),
                "only the new pair is scored");
        assertArrayEquals(new double[] {5, 7, 3}, again.values());
        assertArrayEquals(new double[] {3, 5}, first.values());
        assertEquals(-1, again.callOf()[0], "a cached pair has no scorer call, so no scorer time");
    }

    @Test
    void eachPairIsHashedForTheCacheOnce() {
        ScoreCache cache = new ScoreCache(1000, Duration.ofHours(1), new SimpleMeterRegistry());
        new MicroBatcher(
                        new LengthScorer(),
                        config(64, 100_000, 1),
                        new SimpleMeterRegistry(),
                        cache)
                .score(docs(3, 5, 8), Priority.INTERACTIVE, NOT_FOLLOWED, NONE_ABANDONED)
                .await()
                .indefinitely();
        assertEquals(3, cache.keysComputed(), "looked up, then stored, by one key per pair");
    }

    @Test
    void theCacheNeverReturnsAnotherModelsOrInstructionsScore() {
        ScoreCache cache = new ScoreCache(1000, Duration.ofHours(1), new SimpleMeterRegistry());
        LengthScorer first = new LengthScorer();
        LengthScorer other =
                new LengthScorer() {
                    @Override
                    public String model() {
                        return "another-model";
                    }

                    @Override
                    public Uni<Scores> score(List<ScorePair> pairs) {
                        calls.add(pairs);
                        return Uni.createFrom()
                                .item(new Scores(new double[pairs.size()], new int[pairs.size()]));
                    }
                };
        new MicroBatcher(first, config(64, 100_000, 1), new SimpleMeterRegistry(), cache)
                .score(docs(4), Priority.INTERACTIVE, NOT_FOLLOWED, NONE_ABANDONED)
                .await()
                .indefinitely();
        MicroBatcher.Result r =
                new MicroBatcher(other, config(64, 100_000, 1), new SimpleMeterRegistry(), cache)
                        .score(docs(4), Priority.INTERACTIVE, NOT_FOLLOWED, NONE_ABANDONED)
                        .await()
                        .indefinitely();
        assertEquals(1, other.calls.size(), "the other model scored the pair itself");
        assertEquals(0.0, r.values()[0], "and its own score came back, not the first model's 4.0");

        List<ScorePair> instructed = List.of(new ScorePair("Judge legal relevance", "q", "xxxx"));
        new MicroBatcher(first, config(64, 100_000, 1), new SimpleMeterRegistry(), cache)
                .score(instructed, Priority.INTERACTIVE, NOT_FOLLOWED, NONE_ABANDONED)
                .await()
                .indefinitely();
        assertEquals(2, first.calls.size(), "another instruction is another pair");
    }

    @Test
    void aCallRefusedForAnotherReasonIsNotRetriedAndFailsTheBatch() {
        LengthScorer refusing =
                new LengthScorer() {
                    @Override
                    public Uni<Scores> score(List<ScorePair> pairs) {
                        calls.add(pairs);
                        return Uni.createFrom()
                                .failure(new ScorerException("401: no such key", false, null));
                    }
                };
        MicroBatcher batcher =
                new MicroBatcher(refusing, config(64, 100_000, 5), new SimpleMeterRegistry());
        assertThrows(
                ScorerException.class,
                () ->
                        batcher.score(docs(3), Priority.INTERACTIVE, NOT_FOLLOWED, NONE_ABANDONED)
                                .await()
                                .indefinitely());
        assertEquals(1, refusing.calls.size());
    }

    @Test
    void aCallRefusedForOnePairsInputIsSplitUntilThatPairStandsAlone() {
        // as vLLM does for a prompt over its context: the whole call is refused when any one pair
        // is too long
        LengthScorer refusingLong =
                new LengthScorer() {
                    @Override
                    public Uni<Scores> score(List<ScorePair> pairs) {
                        if (pairs.stream().anyMatch(p -> p.document().length() > 10)) {
                            calls.add(pairs);
                            return Uni.createFrom()
                                    .failure(
                                            ScorerException.inputRefused(
                                                    "maximum context length exceeded"));
                        }
                        return super.score(pairs);
                    }
                };
        List<ScorePair> pairs = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            pairs.add(new ScorePair(null, "q" + i, "x".repeat(1 + i % 10)));
        }
        pairs.add(7, new ScorePair(null, "q", "y".repeat(50)));
        List<Integer> reported = new CopyOnWriteArrayList<>();
        MicroBatcher batcher =
                new MicroBatcher(refusingLong, config(64, 100_000, 5), new SimpleMeterRegistry());
        MicroBatcher.Result r =
                batcher.score(
                                pairs,
                                Priority.INTERACTIVE,
                                scored -> Arrays.stream(scored.inputs()).forEach(reported::add),
                                NONE_ABANDONED)
                        .await()
                        .indefinitely();
        for (int i = 0; i < pairs.size(); i++) {
            if (i == 7) {
                assertTrue(r.refusal(i).contains("maximum context length"), r.refusal(i));
            } else {
                assertEquals(null, r.refusal(i), "pair " + i);
                assertEquals(
                        pairs.get(i).document().length(), r.values()[i], "pair " + i + " scored");
            }
        }
        assertEquals(
                List.of(16, 8, 8, 4, 4, 2, 2, 1, 1),
                refusingLong.calls.stream()
                        .map(List::size)
                        .sorted(Comparator.reverseOrder())
                        .toList(),
                "16 pairs halved down to the refused one: each refused call split in two, one half scored, the other split again");
        assertEquals(
                pairs.size(), reported.size(), "every pair reported once, the refused one too");
    }
}
