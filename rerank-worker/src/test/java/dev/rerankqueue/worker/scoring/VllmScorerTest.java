package dev.rerankqueue.worker.scoring;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.bench.emulator.EmulatorSettings;
import dev.rerankqueue.bench.emulator.Faults;
import dev.rerankqueue.bench.emulator.VllmEmulator;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.worker.config.WorkerConfig;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.mutiny.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The vLLM scorer over real HTTP against the vLLM emulator (the fixture that stands in for a GPU
 * here).
 */
class VllmScorerTest {

    static VllmEmulator emulator;
    static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        emulator = VllmEmulator.start(EmulatorSettings.defaults(0));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        emulator.close();
        vertx.closeAndAwait();
    }

    @AfterEach
    void noFaults() {
        emulator.faults(Faults.NONE);
    }

    static WorkerConfig.Vllm config(String url, String api, Duration timeout) {
        return config(url, api, timeout, false);
    }

    static WorkerConfig.Vllm config(
            String url, String api, Duration timeout, boolean priorityScheduling) {
        return config(url, api, timeout, priorityScheduling, Optional.empty());
    }

    static WorkerConfig.Vllm config(
            String url,
            String api,
            Duration timeout,
            boolean priorityScheduling,
            Optional<Integer> maxModelLen) {
        return new WorkerConfig.Vllm() {
            public Optional<Integer> maxModelLen() {
                return maxModelLen;
            }

            public int charsPerToken() {
                return 4;
            }

            public boolean priorityScheduling() {
                return priorityScheduling;
            }

            public String url() {
                return url;
            }

            public String model() {
                return "Qwen/Qwen3-Reranker-0.6B";
            }

            public WorkerConfig.VllmApi api() {
                return WorkerConfig.VllmApi.valueOf(api.toUpperCase(Locale.ROOT));
            }

            public boolean qwen3Template() {
                return true;
            }

            public String instruction() {
                return "Given a web search query, retrieve relevant passages that answer the query";
            }

            public Duration timeout() {
                return timeout;
            }

            public int inFlight() {
                return 4;
            }

            public int breakerFailures() {
                return 3;
            }

            public Duration breakerOpen() {
                return Duration.ofSeconds(30);
            }

            public Duration healthInterval() {
                return Duration.ofMillis(200);
            }
        };
    }

    static VllmScorer scorer(String api) {
        return new VllmScorer(
                config("http://127.0.0.1:" + emulator.port(), api, Duration.ofSeconds(5)), vertx);
    }

    static final List<ScorePair> PAIRS =
            List.of(
                    new ScorePair(null, "What is the capital of China?", "Pandas eat bamboo."),
                    new ScorePair(
                            null,
                            "What is the capital of China?",
                            "The capital of China is Beijing."),
                    new ScorePair(
                            "Find the capital city",
                            "capital of France",
                            "Paris is the capital of France."),
                    new ScorePair(
                            "Find the capital city", "capital of France", "Bananas are yellow."));

    @Test
    void scoresPairsOfSeveralQueriesInOneScoreCall() {
        try (VllmScorer s = scorer("score")) {
            long calls = emulator.gpu().sequences();
            Scores scores = s.score(PAIRS).await().atMost(Duration.ofSeconds(10));
            assertTrue(scores.values()[1] > scores.values()[0], Arrays.toString(scores.values()));
            assertTrue(scores.values()[2] > scores.values()[3], Arrays.toString(scores.values()));
            assertEquals(calls + 4, emulator.gpu().sequences());
            for (int t : scores.tokens()) {
                assertTrue(t > 40, "the template's tokens are counted: " + t);
            }
        }
    }

    @Test
    void rerankModeCallsOncePerQueryAndAgrees() {
        try (VllmScorer score = scorer("score");
                VllmScorer rerank = scorer("rerank")) {
            Scores a = score.score(PAIRS).await().atMost(Duration.ofSeconds(10));
            Scores b = rerank.score(PAIRS).await().atMost(Duration.ofSeconds(10));
            for (int i = 0; i < PAIRS.size(); i++) {
                assertEquals(a.values()[i], b.values()[i], 1e-9);
            }
        }
    }

    @Test
    void readinessFollowsVllmHealth() throws Exception {
        try (VllmScorer s = scorer("score")) {
            await().atMost(Duration.ofSeconds(5)).until(s::isReady);
        }
        try (VllmScorer nowhere =
                new VllmScorer(
                        config("http://127.0.0.1:1", "score", Duration.ofSeconds(1)), vertx)) {
            await().during(Duration.ofMillis(600))
                    .atMost(Duration.ofSeconds(2))
                    .until(() -> !nowhere.isReady());
        }
    }

    @Test
    void serverErrorsAreRetryableAndOpenTheBreaker() {
        emulator.faults(new Faults(1.0, 0, 0, false));
        try (VllmScorer s = scorer("score")) {
            for (int i = 0; i < 3; i++) {
                ScorerException e =
                        assertThrows(
                                ScorerException.class,
                                () -> s.score(PAIRS).await().atMost(Duration.ofSeconds(5)));
                assertTrue(e.retryable());
                assertTrue(e.getMessage().contains("500"), e.getMessage());
            }
            emulator.faults(Faults.NONE);
            ScorerException open =
                    assertThrows(
                            ScorerException.class,
                            () -> s.score(PAIRS).await().atMost(Duration.ofSeconds(5)));
            assertTrue(open.getMessage().contains("circuit breaker open"), open.getMessage());
            assertFalse(s.isReady());
        }
    }

    @Test
    void healthIsAskedBesideCallsThatFillTheConnectionPool() {
        emulator.faults(new Faults(0, 0, 0, true)); // scoring calls are never answered
        try (VllmScorer s =
                new VllmScorer(
                        config(
                                "http://127.0.0.1:" + emulator.port(),
                                "score",
                                Duration.ofSeconds(30)),
                        vertx)) {
            await().atMost(Duration.ofSeconds(5)).until(s::isReady);
            List<Cancellable> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) { // twice the scoring pool
                calls.add(s.score(PAIRS).subscribe().with(scores -> {}, failure -> {}));
            }
            await().during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5))
                    .until(s::isReady); // health probes every 200 ms, each waiting 2 s at most
            calls.forEach(Cancellable::cancel);
        }
    }

    /**
     * Calls come from threads outside Vert.x (a Kafka consumer's, a timer's) and go over pooled,
     * reused connections: every answer must reach its caller. Answers were lost about once in a
     * hundred rounds of three calls, each lost one costing the call's whole timeout.
     */
    @Test
    void everyAnswerReachesItsCallerOverReusedConnections() {
        emulator.faults(new Faults(1.0, 0, 0, false)); // answered at once, with 500
        int lost = 0;
        for (int round = 0; round < 400; round++) {
            try (VllmScorer s =
                    new VllmScorer(
                            config(
                                    "http://127.0.0.1:" + emulator.port(),
                                    "score",
                                    Duration.ofSeconds(2)),
                            vertx)) {
                for (int call = 0; call < 3; call++) { // the breaker opens after the third
                    ScorerException e =
                            assertThrows(
                                    ScorerException.class,
                                    () -> s.score(PAIRS).await().atMost(Duration.ofSeconds(5)));
                    if (!e.getMessage().contains("500")) {
                        lost++;
                    }
                }
            }
        }
        assertEquals(0, lost, "answers that never reached their caller, of 1,200");
    }

    @Test
    void aHangingServerTimesOut() {
        emulator.faults(new Faults(0, 0, 0, true));
        try (VllmScorer s =
                new VllmScorer(
                        config(
                                "http://127.0.0.1:" + emulator.port(),
                                "score",
                                Duration.ofMillis(500)),
                        vertx)) {
            ScorerException e =
                    assertThrows(
                            ScorerException.class,
                            () -> s.score(PAIRS).await().atMost(Duration.ofSeconds(5)));
            assertTrue(e.retryable());
        }
    }

    @Test
    void withPrioritySchedulingEachCallCarriesItsLane() throws Exception {
        try (VllmEmulator prioritized =
                        VllmEmulator.start(EmulatorSettings.defaults(0).withPriorityScheduling());
                VllmScorer s =
                        new VllmScorer(
                                config(
                                        "http://127.0.0.1:" + prioritized.port(),
                                        "score",
                                        Duration.ofSeconds(5),
                                        true),
                                vertx);
                VllmScorer r =
                        new VllmScorer(
                                config(
                                        "http://127.0.0.1:" + prioritized.port(),
                                        "rerank",
                                        Duration.ofSeconds(5),
                                        true),
                                vertx);
                VllmScorer toFcfs =
                        new VllmScorer(
                                config(
                                        "http://127.0.0.1:" + emulator.port(),
                                        "score",
                                        Duration.ofSeconds(5),
                                        true),
                                vertx)) {
            for (Priority lane : Priority.values()) {
                assertTrue(
                        s.score(PAIRS, SlotRequest.of(lane))
                                        .await()
                                        .atMost(Duration.ofSeconds(10))
                                        .values()[1]
                                > 0);
                assertTrue(
                        r.score(PAIRS, SlotRequest.of(lane))
                                        .await()
                                        .atMost(Duration.ofSeconds(10))
                                        .values()[1]
                                > 0);
            }
            // calls of jobs from a lane's overflow topic carry the lane's priority + 1
            for (Priority lane : Priority.values()) {
                SlotRequest overflowed = new SlotRequest(lane, "t", Long.MAX_VALUE, 1, true);
                assertTrue(
                        s.score(PAIRS, overflowed)
                                        .await()
                                        .atMost(Duration.ofSeconds(10))
                                        .values()[1]
                                > 0);
            }
            ScorerException nonZero =
                    assertThrows(
                            ScorerException.class,
                            () ->
                                    toFcfs.score(
                                                    PAIRS,
                                                    new SlotRequest(
                                                            Priority.INTERACTIVE,
                                                            "t",
                                                            Long.MAX_VALUE,
                                                            1,
                                                            true))
                                            .await()
                                            .atMost(Duration.ofSeconds(5)));
            assertTrue(
                    nonZero.getMessage().contains("Priority scheduling is not enabled"),
                    "an overflowed interactive call is not priority 0: " + nonZero.getMessage());
            // a server without priority scheduling refuses a batch-lane priority, as vLLM does:
            // hence the opt-in
            ScorerException e =
                    assertThrows(
                            ScorerException.class,
                            () ->
                                    toFcfs.score(PAIRS, SlotRequest.of(Priority.BATCH))
                                            .await()
                                            .atMost(Duration.ofSeconds(5)));
            assertTrue(
                    e.getMessage().contains("Priority scheduling is not enabled"), e.getMessage());
            assertTrue(
                    toFcfs.score(PAIRS, SlotRequest.of(Priority.INTERACTIVE))
                                    .await()
                                    .atMost(Duration.ofSeconds(10))
                                    .values()[1]
                            > 0);
        }
    }

    @Test
    void aDocumentOverTheContextVllmReportsIsCutToFit() throws Exception {
        try (VllmScorer s = scorer("score")) {
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> s.maxModelLen() == 32768); // from vLLM's /v1/models
            long refused = refusedRequests();
            Scores scores =
                    s.score(List.of(new ScorePair(null, "q", "x".repeat(200_000)), PAIRS.get(0)))
                            .await()
                            .atMost(Duration.ofSeconds(5));
            assertArrayEquals(new boolean[] {true, false}, scores.truncated());
            assertEquals(refused, refusedRequests(), "cut before sending: vLLM refused nothing");
        }
    }

    @Test
    void aPairTheEstimateLetsThroughIsCutByVllmsOwnCount() throws Exception {
        // a worker that believes the context is far larger than vLLM's: vLLM refuses, and its
        // answer says by how much
        WorkerConfig.Vllm believesMore =
                config(
                        "http://127.0.0.1:" + emulator.port(),
                        "score",
                        Duration.ofSeconds(5),
                        false,
                        Optional.of(1_000_000));
        try (VllmScorer s = new VllmScorer(believesMore, vertx)) {
            long refused = refusedRequests();
            Scores scores =
                    s.score(List.of(new ScorePair(null, "q", "x".repeat(200_000))))
                            .await()
                            .atMost(Duration.ofSeconds(5));
            assertArrayEquals(new boolean[] {true}, scores.truncated());
            assertEquals(refused + 1, refusedRequests(), "refused once, then taken");
        }
    }

    @Test
    void aRefusedInputIsNotRetriedAndSaysWhy() {
        try (VllmScorer s = scorer("score")) {
            String hugeQuery =
                    "x".repeat(200_000); // a query alone over the context: nothing to cut
            ScorerException e =
                    assertThrows(
                            ScorerException.class,
                            () ->
                                    s.score(List.of(new ScorePair(null, hugeQuery, "d")))
                                            .await()
                                            .atMost(Duration.ofSeconds(5)));
            assertFalse(e.retryable());
            assertTrue(e.inputRefused());
            assertTrue(
                    e.getMessage().contains("This model's maximum context length is 32768 tokens"),
                    e.getMessage());
            assertFalse(
                    e.getMessage().contains("127.0.0.1"),
                    "no internal address in what reaches a job: " + e.getMessage());
        }
    }

    private static long refusedRequests() throws Exception {
        HttpResponse<String> r =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://127.0.0.1:"
                                                                + emulator.port()
                                                                + "/emulator/stats"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        return JobCodec.mapper().readTree(r.body()).get("refused_requests").asLong();
    }
}
