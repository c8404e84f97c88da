package dev.rerankqueue.worker.batch;

import static dev.rerankqueue.testing.JobBuilder.aQueuedJob;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.emulator.EmulatorSettings;
import dev.rerankqueue.bench.emulator.Faults;
import dev.rerankqueue.bench.emulator.VllmEmulator;
import dev.rerankqueue.job.JobCost;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.TruncationDirection;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.ScorerCapacityAnnouncement;
import dev.rerankqueue.testing.InfrastructureResource;
import dev.rerankqueue.testing.JobBuilder;
import dev.rerankqueue.worker.scoring.ScoreCache;
import dev.rerankqueue.worker.store.ScoreCheckpoints;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The worker on the GPU path: jobs from Kafka scored by the vLLM scorer against the emulator
 * (standing in for vLLM), to show a job's {@code instruction} reaching the model's prompt and
 * keying the score cache, end to end; and that one job's over-long document hurts no other job: the
 * emulator serves a 2,048-token context and refuses longer prompts with vLLM's 400, and the
 * worker's estimate is set to undercount tokens twofold, so that refusals really reach it.
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
@WithTestResource(VllmWorkerTest.Emulator.class)
class VllmWorkerTest {

    /** A vLLM emulator for the worker to call, as a sidecar would be. */
    public static class Emulator implements QuarkusTestResourceLifecycleManager {
        static VllmEmulator emulator;

        @Override
        public Map<String, String> start() {
            try {
                // at most 32 sequences a forward pass: a 64-pair call takes two, and the other call
                // waits at the server
                emulator =
                        VllmEmulator.start(
                                EmulatorSettings.defaults(0)
                                        .withMaxModelLen(CONTEXT)
                                        .withMaxNumSeqs(32)
                                        .withDebugEndpoints());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return Map.of(
                    "rerank.worker.scorer.type",
                    "vllm",
                    "rerank.worker.scorer.vllm.url",
                    "http://127.0.0.1:" + emulator.port(),
                    // a tokenizer that counts half the tokens vLLM does: pairs the estimate lets
                    // through are refused
                    "rerank.worker.scorer.vllm.chars-per-token",
                    "8",
                    // two scorer calls at once, so that a job's calls wait for slots and a cancel
                    // can drop them
                    "rerank.worker.batch.in-flight",
                    "2");
        }

        @Override
        public void stop() {
            if (emulator != null) {
                emulator.close();
            }
        }
    }

    static final int CONTEXT = 2048;

    @Inject RedisDataSource redis;

    @Inject ScoreCheckpoints checkpoints;

    @ConfigProperty(name = "rerank.worker.scorer.vllm.url")
    String vllm;

    private final HttpClient http = HttpClient.newHttpClient();

    private JsonNode emulator(String path) throws Exception {
        return JobCodec.mapper()
                .readTree(
                        http.send(
                                        HttpRequest.newBuilder(URI.create(vllm + path)).build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body());
    }

    private JobState score(String instruction) {
        return score("acme", instruction);
    }

    private JobState score(String tenant, String instruction) {
        RerankJob job =
                aQueuedJob()
                        .forTenant(tenant)
                        .withQuery("capital of France?")
                        .withDocuments("Bread is baked.", "Paris is the capital of France.")
                        .withInstruction(instruction)
                        .build();
        return awaitAll(List.of(job)).get(0);
    }

    /**
     * Produces the jobs in one send, so the worker polls them together, and waits until each is
     * terminal.
     */
    private List<JobState> awaitAll(List<RerankJob> jobs) {
        InfrastructureResource.kafka()
                .companion()
                .produce(String.class, byte[].class)
                .fromRecords(
                        jobs.stream()
                                .map(
                                        job ->
                                                new ProducerRecord<>(
                                                        Topics.JOBS,
                                                        job.id(),
                                                        JobCodec.encodeJob(job)))
                                .toList())
                .awaitCompletion();
        await().atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                jobs.stream()
                                        .allMatch(
                                                job -> {
                                                    JobState s =
                                                            JobFields.toState(
                                                                    job.id(),
                                                                    redis.hash(String.class)
                                                                            .hgetall(
                                                                                    RedisKeys.job(
                                                                                            job
                                                                                                    .id())));
                                                    return s != null && s.status().isTerminal();
                                                }));
        return jobs.stream()
                .map(
                        job ->
                                JobFields.toState(
                                        job.id(),
                                        redis.hash(String.class).hgetall(RedisKeys.job(job.id()))))
                .toList();
    }

    private static RerankJob job(
            String tenant, String query, Boolean truncate, String... documents) {
        return aQueuedJob()
                .forTenant(tenant)
                .withQuery(query)
                .withDocuments(documents)
                .truncating(truncate)
                .build();
    }

    @Test
    void rawScoresLeftCutsAndPromptLimitsReachTheModelServer() {
        String query = "capital of France?";
        String answerAtTheEnd =
                "Bread is baked in ovens every morning. ".repeat(300)
                        + "Paris is the capital of France.";
        JobBuilder base =
                aQueuedJob().withQuery(query).withDocuments(answerAtTheEnd, "Bread is baked.");
        RerankJob probabilities = base.build();
        RerankJob raw = base.withRawScores().build();
        RerankJob keepEnd =
                aQueuedJob()
                        .withQuery(query)
                        .withDocuments(answerAtTheEnd, "Bread is baked.")
                        .cutFrom(TruncationDirection.LEFT)
                        .build();
        RerankJob promptLimit =
                aQueuedJob()
                        .withQuery(query)
                        .withDocuments(answerAtTheEnd, "Bread is baked.")
                        .cutFrom(TruncationDirection.LEFT)
                        .withPromptTokens(160)
                        .build();
        // the context is not known to the worker before vLLM's /v1/models has been read: then vLLM
        // refuses the over-long pair, and the worker cuts it again from the end the job names
        List<JobState> states = awaitAll(List.of(probabilities, raw, keepEnd, promptLimit));
        states.forEach(
                s -> assertEquals(JobStatus.SUCCEEDED, s.status(), String.valueOf(s.error())));
        Map<Integer, Double> p = scoreByIndex(states.get(0));
        Map<Integer, Double> logits = scoreByIndex(states.get(1));
        for (int i : p.keySet()) {
            double expected = Math.log(p.get(i) / (1 - p.get(i)));
            assertEquals(expected, logits.get(i), 1e-6, "raw score of document " + i);
        }
        assertEquals(1, states.get(0).result().usage().truncatedDocuments());
        assertTrue(
                scoreByIndex(states.get(2)).get(0) > p.get(0),
                "kept its end, which answers the query: " + scoreByIndex(states.get(2)) + p);
        assertEquals(1, states.get(2).result().usage().truncatedDocuments());
        assertEquals(1, states.get(3).result().usage().truncatedDocuments(), "the short one fits");
        // cut by the worker's estimate, which here counts half the tokens vLLM does
        assertTrue(
                states.get(3).result().usage().tokens() < 2 * (2 * 160),
                "two prompts of at most about 160 estimated tokens: "
                        + states.get(3).result().usage());
        assertTrue(
                states.get(3).result().usage().tokens() * 3
                        < states.get(2).result().usage().tokens(),
                "far fewer tokens than the same documents cut only to the context");
        assertEquals(0, states.get(3).result().results().get(0).index());
    }

    private static Map<Integer, Double> scoreByIndex(JobState s) {
        Map<Integer, Double> out = new HashMap<>();
        s.result().results().forEach(r -> out.put(r.index(), r.relevanceScore()));
        return out;
    }

    @Test
    void oneJobsOverLongDocumentFailsNoOtherJob() throws Exception {
        long refusedBefore = emulator("/emulator/stats").get("refused_requests").asLong();
        // 12,000 characters: 3,000 tokens to vLLM, 1,500 to the estimate
        String overContext = "word ".repeat(2_400);
        // 100,000 characters: cut by the estimate, and again by vLLM's count
        String farOverContext = "word ".repeat(20_000);
        List<JobState> states =
                awaitAll(
                        List.of(
                                job(
                                        "acme",
                                        "capital of Peru?",
                                        null,
                                        "Lima is the capital of Peru.",
                                        "Bread is baked."),
                                job(
                                        "globex",
                                        "capital of Chile?",
                                        null,
                                        overContext,
                                        "Santiago is the capital of Chile."),
                                job(
                                        "initech",
                                        "capital of Spain?",
                                        null,
                                        farOverContext,
                                        "Madrid is the capital of Spain."),
                                job(
                                        "acme",
                                        "capital of Italy?",
                                        false,
                                        overContext,
                                        "Rome is the capital of Italy.")));

        assertEquals(
                JobStatus.SUCCEEDED,
                states.get(0).status(),
                "a job polled with another tenant's over-long document: " + states.get(0).error());
        assertEquals(0, states.get(0).result().usage().truncatedDocuments());
        assertEquals(0, states.get(0).result().results().get(0).index());
        for (JobState cut : states.subList(1, 3)) {
            assertEquals(
                    JobStatus.SUCCEEDED,
                    cut.status(),
                    "an over-long document is cut to the context: " + cut.error());
            assertEquals(1, cut.result().usage().truncatedDocuments(), "and counted");
            assertEquals(
                    1,
                    cut.result().results().get(0).index(),
                    "the short relevant document still ranks first");
        }
        assertEquals(
                JobStatus.FAILED,
                states.get(3).status(),
                "truncate: false asks for an error instead");
        assertTrue(
                states.get(3).error().contains("document 0 is longer than the model's context"),
                states.get(3).error());
        assertTrue(
                emulator("/emulator/stats").get("refused_requests").asLong() >= refusedBefore + 2,
                "vLLM refused calls that the worker then split and cut");
    }

    @Test
    void aCancelledJobStopsTakingModelTime() throws Exception {
        // a model server under load: a forward pass takes about a second
        Emulator.emulator.timeScale(300);
        try {
            List<String> docs = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                docs.add("document number " + i + " about the capital of Peru");
            }
            RerankJob job =
                    aQueuedJob()
                            .withQuery("capital of Peru " + System.nanoTime())
                            .withDocuments(docs)
                            .build();
            JsonNode before = emulator("/emulator/stats");
            InfrastructureResource.kafka()
                    .companion()
                    .produce(String.class, byte[].class)
                    .fromRecords(
                            new ProducerRecord<>(Topics.JOBS, job.id(), JobCodec.encodeJob(job)))
                    .awaitCompletion();
            // both scorer calls (2 x 64 pairs) at the server after its first forward pass (32
            // pairs): 96 pairs still to run
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(
                            () ->
                                    emulator("/emulator/stats").get("pairs").asLong()
                                            >= before.get("pairs").asLong() + 32);
            // the gateway's DELETE: the job to cancelled, announced on the job-events channel
            redis.execute(
                    "EVAL",
                    JobTransition.to(job.id(), JobStatus.CANCELLED)
                            .set(JobFields.FINISHED_AT, System.currentTimeMillis())
                            .evalArgs());
            long atCancel = emulator("/emulator/stats").get("pairs").asLong();
            // settled: nothing running or waiting at the model server on two looks a scorer call's
            // time apart
            int[] idle = {0};
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .until(
                            () -> {
                                JsonNode s = emulator("/emulator/stats");
                                idle[0] =
                                        s.get("running").asInt() == 0
                                                        && s.get("waiting").asInt() == 0
                                                ? idle[0] + 1
                                                : 0;
                                return idle[0] >= 6;
                            });
            JsonNode after = emulator("/emulator/stats");
            long afterCancel = after.get("pairs").asLong() - atCancel;
            long scored = after.get("pairs").asLong() - before.get("pairs").asLong();
            long aborted =
                    after.get("aborted_pairs").asLong() - before.get("aborted_pairs").asLong();
            System.out.printf(
                    "cancelled 1,000-pair job: %d pairs scored in all, %d of them after the cancel; %d aborted at the model server%n",
                    scored, afterCancel, aborted);
            assertTrue(
                    afterCancel <= 64,
                    "at most one micro-batch is scored after the cancel (the forward pass already running): "
                            + afterCancel);
            assertTrue(aborted > 0, "the pairs waiting at the model server were aborted there");
            assertTrue(
                    scored < 500,
                    "the rest of the job's 1,000 pairs were never sent: " + scored + " scored");
            assertEquals(
                    JobStatus.CANCELLED,
                    JobFields.toState(
                                    job.id(),
                                    redis.hash(String.class).hgetall(RedisKeys.job(job.id())))
                            .status());
        } finally {
            Emulator.emulator.timeScale(1.0);
        }
    }

    /**
     * A consumer does not hold its next Kafka batch until the previous one is scored: a job polled
     * while another job of the same partition is at the model server is claimed and sent at once.
     */
    @Test
    void aJobPolledWhileTheLastBatchIsScoredIsStartedAtOnce() throws Exception {
        // every call answers 4 s late: the first job stays on the scorer far longer than producing
        // the second record takes, even on a loaded machine (a time-scaled forward pass of about a
        // second was not: the producer's start alone took that long once)
        Emulator.emulator.faults(new Faults(0, 1.0, 4_000, false));
        try {
            RerankJob slow =
                    job(
                            "acme",
                            "capital of Chile " + System.nanoTime(),
                            null,
                            docs("about the capital of Chile", 8));
            RerankJob next =
                    job(
                            "acme",
                            "capital of Peru " + System.nanoTime(),
                            null,
                            docs("about the capital of Peru", 2));
            // one partition, so one consumer polls both
            produceTo(0, slow);
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(20))
                    .until(
                            () ->
                                    stateOf(slow) != null
                                            && stateOf(slow).status() == JobStatus.RUNNING);
            produceTo(0, next);
            long produced = System.currentTimeMillis();
            await().atMost(Duration.ofSeconds(60))
                    .until(
                            () ->
                                    stateOf(slow).status().isTerminal()
                                            && stateOf(next) != null
                                            && stateOf(next).status().isTerminal());
            JobState a = stateOf(slow);
            JobState b = stateOf(next);
            assertEquals(JobStatus.SUCCEEDED, a.status());
            assertEquals(JobStatus.SUCCEEDED, b.status());
            assertTrue(
                    produced < a.finishedAt(),
                    "the second record was produced only after the first job finished; the test"
                            + " proves nothing");
            assertTrue(
                    b.startedAt() < a.finishedAt(),
                    "the second job was started "
                            + (b.startedAt() - a.finishedAt())
                            + " ms after the first one finished, not while it was scored");
        } finally {
            Emulator.emulator.faults(Faults.NONE);
        }
    }

    private static String[] docs(String about, int n) {
        String[] docs = new String[n];
        for (int i = 0; i < n; i++) {
            docs[i] = "document " + i + " " + about;
        }
        return docs;
    }

    private static void produceTo(int partition, RerankJob job) {
        InfrastructureResource.kafka()
                .companion()
                .produce(String.class, byte[].class)
                .fromRecords(
                        new ProducerRecord<>(
                                Topics.JOBS, partition, job.id(), JobCodec.encodeJob(job)))
                .awaitCompletion();
    }

    private JobState stateOf(RerankJob job) {
        return JobFields.toState(
                job.id(), redis.hash(String.class).hgetall(RedisKeys.job(job.id())));
    }

    @Test
    void theWorkerAnnouncesWhatItScoresPerSecondOfBusyTime() {
        Emulator.emulator.faults(
                new Faults(0, 1.0, 300, false)); // 300 ms a call: enough busy time to measure
        try {
            for (int i = 0; i < 2; i++) {
                assertEquals(
                        JobStatus.SUCCEEDED,
                        score("acme", "Find the capital " + System.nanoTime()).status());
            }
        } finally {
            Emulator.emulator.faults(Faults.NONE);
        }
        await().atMost(Duration.ofSeconds(10))
                .until(
                        () ->
                                redis
                                        .hash(String.class)
                                        .hgetall(RedisKeys.WORKER_CAPACITY)
                                        .values()
                                        .stream()
                                        .map(ScorerCapacityAnnouncement::parse)
                                        .flatMap(Optional::stream)
                                        .anyMatch(
                                                a ->
                                                        a.pairsPerSecond() > 0
                                                                // each pair is charged the
                                                                // prompt and its text
                                                                && a.tokensPerSecond()
                                                                        > a.pairsPerSecond()
                                                                                * JobCost
                                                                                        .PROMPT_TOKENS
                                                                && System.currentTimeMillis()
                                                                                - a.saidAtMillis()
                                                                        < 5_000));
    }

    @Test
    void aCachedScoreIsNeverAnotherTenants() throws Exception {
        long pairs = emulator("/emulator/stats").get("pairs").asLong();
        assertEquals(JobStatus.SUCCEEDED, score("acme", "Find the cities").status());
        assertEquals(pairs + 2, emulator("/emulator/stats").get("pairs").asLong());
        assertEquals(JobStatus.SUCCEEDED, score("acme", "Find the cities").status());
        assertEquals(
                pairs + 2,
                emulator("/emulator/stats").get("pairs").asLong(),
                "the same tenant's pairs again: cached");
        JobState other = score("globex", "Find the cities");
        assertEquals(JobStatus.SUCCEEDED, other.status());
        assertEquals(
                pairs + 4,
                emulator("/emulator/stats").get("pairs").asLong(),
                "another tenant's same pairs are scored for it");
    }

    @Test
    void theInstructionReachesTheModelsPromptAndKeysTheCache() throws Exception {
        JobState first = score("Find the capital city");
        assertEquals(JobStatus.SUCCEEDED, first.status());
        assertEquals(1, first.result().results().get(0).index(), "Paris first");
        assertEquals("Qwen/Qwen3-Reranker-0.6B", first.result().model());
        String prompt = emulator("/emulator/last-request").get("text_1").get(0).asText();
        assertTrue(
                prompt.contains("<Instruct>: Find the capital city\n<Query>: capital of France?"),
                prompt);
        long pairs = emulator("/emulator/stats").get("pairs").asLong();

        assertEquals(JobStatus.SUCCEEDED, score("Judge whether the text is about food").status());
        assertEquals(
                pairs + 2,
                emulator("/emulator/stats").get("pairs").asLong(),
                "another instruction is scored again");
        assertTrue(
                emulator("/emulator/last-request")
                        .get("text_1")
                        .get(0)
                        .asText()
                        .contains("<Instruct>: Judge whether the text is about food"));

        assertEquals(JobStatus.SUCCEEDED, score("Find the capital city").status());
        assertEquals(
                pairs + 2,
                emulator("/emulator/stats").get("pairs").asLong(),
                "the same instruction, query and documents: cached");

        assertEquals(JobStatus.SUCCEEDED, score(null).status());
        assertTrue(
                emulator("/emulator/last-request")
                        .get("text_1")
                        .get(0)
                        .asText()
                        .contains(
                                "<Instruct>: Given a web search query, retrieve relevant passages that answer the query"),
                "the default instruction");
    }

    /**
     * A worker died while scoring a job of six documents, after checkpointing four of its scores:
     * the worker that takes the job over sends only the other two to the model, and the job ranks
     * by the checkpointed scores. A checkpoint of another model is not used.
     */
    @Test
    void aJobTakenOverScoresOnlyWhatItsFirstWorkerHadNotCheckpointed() throws Exception {
        String model = "Qwen/Qwen3-Reranker-0.6B";
        RerankJob job = job("acme", "checkpointed " + System.nanoTime(), null, docs("cats", 6));
        RerankJob other = job("acme", "checkpointed " + System.nanoTime(), null, docs("dogs", 6));
        Map<Integer, ScoreCache.Entry> firstFour = new HashMap<>();
        for (int pair = 0; pair < 4; pair++) {
            // the first document far above what the emulator gives any of them
            firstFour.put(pair, new ScoreCache.Entry(pair == 0 ? 0.99 : 0.0001 * pair, 7, false));
        }
        for (RerankJob j : List.of(job, other)) {
            // running on a worker that died
            redis.execute(
                    "EVAL",
                    JobStateChanges.startProcessing(
                                    j,
                                    "a-dead-worker",
                                    System.currentTimeMillis(),
                                    Duration.ofHours(1))
                            .evalArgs());
        }
        checkpoints
                .save(model, List.of(new ScoreCheckpoints.Saved(job.id(), 6, firstFour)))
                .chain(
                        () ->
                                checkpoints.save(
                                        "another/model",
                                        List.of(
                                                new ScoreCheckpoints.Saved(
                                                        other.id(), 6, firstFour))))
                .await()
                .atMost(Duration.ofSeconds(5));
        long pairs = emulator("/emulator/stats").get("pairs").asLong();

        JobState state = awaitAll(List.of(job)).get(0);

        assertEquals(JobStatus.SUCCEEDED, state.status());
        assertEquals(
                pairs + 2,
                emulator("/emulator/stats").get("pairs").asLong(),
                "only the two pairs not checkpointed reach the model");
        assertEquals(0, state.result().results().get(0).index(), "ranked by the checkpoint");
        assertEquals(0.99, state.result().results().get(0).relevanceScore(), 1e-12);
        assertEquals(2, state.attempts(), "taken over from the dead worker");
        // the checkpoint of a recorded job is deleted
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !redis.key().exists(RedisKeys.scoreCheckpoint(job.id())));

        assertEquals(JobStatus.SUCCEEDED, awaitAll(List.of(other)).get(0).status());
        assertEquals(
                pairs + 8,
                emulator("/emulator/stats").get("pairs").asLong(),
                "another model's checkpoint is not used");
    }

    /**
     * A job redelivered while another worker, alive, is still scoring it (its partition moved to
     * this worker mid-batch): this worker waits for that worker's result instead of taking the job
     * over and scoring it a second time.
     */
    @Test
    void aJobStillRunningOnALiveWorkerIsWaitedForNotScoredTwice() throws Exception {
        RerankJob job = job("acme", "live owner " + System.nanoTime(), null, docs("cats", 4));
        long claimedAt = System.currentTimeMillis();
        redis.execute(
                "EVAL",
                JobStateChanges.startProcessing(
                                job, "a-live-worker", claimedAt, Duration.ofHours(1))
                        .evalArgs());
        ScheduledExecutorService beating = Executors.newSingleThreadScheduledExecutor();
        beating.scheduleAtFixedRate(
                () ->
                        redis.hash(String.class)
                                .hset(
                                        RedisKeys.WORKERS_ALIVE,
                                        "a-live-worker",
                                        System.currentTimeMillis() + " " + (claimedAt - 60_000)),
                0,
                500,
                TimeUnit.MILLISECONDS);
        try {
            long pairs = emulator("/emulator/stats").get("pairs").asLong();
            produceTo(0, job);
            Thread.sleep(2_000);
            JobState meanwhile = stateOf(job);
            assertEquals("a-live-worker", meanwhile.worker(), "not taken over from a live worker");
            assertEquals(JobStatus.RUNNING, meanwhile.status());
            // the live worker writes its result
            JobResult result =
                    new JobResult(
                            "Qwen/Qwen3-Reranker-0.6B",
                            List.of(new RankedDocument(2, 0.9, null)),
                            new JobResult.Usage(4, 40),
                            5);
            redis.execute(
                    "EVAL",
                    JobTransition.to(job.id(), JobStatus.SUCCEEDED)
                            .expectVersion(meanwhile.version())
                            .set(JobFields.FINISHED_AT, System.currentTimeMillis())
                            .set(JobFields.RESULT, JobCodec.encodeResult(result))
                            .evalArgs());
            Thread.sleep(1_000);
            JobState end = stateOf(job);
            assertEquals(JobStatus.SUCCEEDED, end.status());
            assertEquals(1, end.attempts(), "scored once, by the worker that claimed it");
            assertEquals(
                    pairs,
                    emulator("/emulator/stats").get("pairs").asLong(),
                    "none of its pairs reached the model from this worker");
        } finally {
            beating.shutdownNow();
        }
    }
}
