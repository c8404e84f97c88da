package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.Chunking;
import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.job.TruncationDirection;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobProgress;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.TransitionOutcome;
import dev.rerankqueue.testing.InfrastructureResource;
import dev.rerankqueue.testing.KafkaBroker;
import dev.rerankqueue.testing.SseRecorder;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reading jobs back: poll, SSE and the sync endpoints, while this test plays the worker's part
 * through the shared contract (it consumes the real Kafka record and writes state with the same
 * compare-and-set script into real Redis).
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
class JobFollowTest {

    @Inject JobStore store;

    @Inject ReactiveRedisDataSource redis;

    @TestHTTPResource("/")
    URL base;

    /** A worker has said which model it serves: requests may name it, or an alias of it. */
    @BeforeEach
    void aWorkerServesItsModel() {
        redis.hash(String.class)
                .hset(
                        RedisKeys.SERVED_MODELS,
                        "test-model",
                        Long.toString(System.currentTimeMillis()))
                .await()
                .atMost(Duration.ofSeconds(5));
    }

    private String submit(String body) {
        return postJson("/v1/rerank/jobs", body).statusCode(202).extract().path("id");
    }

    private TransitionOutcome write(JobTransition t) {
        return store.apply(t).await().atMost(Duration.ofSeconds(5));
    }

    /**
     * Does what a worker does: running, then succeeded with documents ranked by the given scores.
     */
    private void score(String id, double... scores) {
        score(id, scores.length, scores);
    }

    /** As a worker does, with the results cut to the job's {@code top_n} ({@code keep} of them). */
    private void score(String id, int keep, double... scores) {
        TransitionOutcome running =
                write(
                        JobTransition.to(id, JobStatus.RUNNING)
                                .set(JobFields.STARTED_AT, System.currentTimeMillis()));
        assertTrue(running.applied());
        List<RankedDocument> ranked = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            ranked.add(new RankedDocument(i, scores[i], null));
        }
        ranked.sort((a, b) -> Double.compare(b.relevanceScore(), a.relevanceScore()));
        JobResult result =
                new JobResult(
                        "test-model",
                        List.copyOf(ranked.subList(0, keep)),
                        new JobResult.Usage(scores.length, 42),
                        7);
        assertTrue(
                write(
                                JobTransition.to(id, JobStatus.SUCCEEDED)
                                        .expectVersion(running.version())
                                        .set(JobFields.FINISHED_AT, System.currentTimeMillis())
                                        .set(JobFields.RESULT, JobCodec.encodeResult(result)))
                        .applied());
    }

    @Test
    void pollShowsTheRankedResultOnceSucceeded() {
        String id = submit(JobSubmissionTest.BEIJING);
        score(id, 0.1, 0.9, 0.2);
        given().get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("status", equalTo("succeeded"))
                .body("model", equalTo("test-model"))
                .body("results", hasSize(3))
                .body("results[0].index", equalTo(1))
                .body("results[0].relevance_score", equalTo(0.9f))
                .body("usage.pairs", equalTo(3))
                .body("usage.tokens", equalTo(42))
                .body("timings.scoring_ms", equalTo(7));
    }

    @Test
    void aLargeRunningJobSendsProgressEventsAndShowsProgressOnPoll() throws Exception {
        String id = submit(JobSubmissionTest.BEIJING);
        SseRecorder sse = SseRecorder.open(base + "v1/rerank/jobs/" + id + "/events");
        await().atMost(Duration.ofSeconds(5)).until(() -> !sse.events().isEmpty());
        TransitionOutcome running =
                write(
                        JobTransition.to(id, JobStatus.RUNNING)
                                .set(JobFields.STARTED_AT, System.currentTimeMillis()));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> sse.events().stream().anyMatch(e -> e.data().contains("\"running\"")));
        // what a worker's progress writes do: counts go up only, and only while running
        redis.execute("EVAL", new JobProgress(id, 1).evalArgs())
                .await()
                .atMost(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> sse.events().stream().anyMatch(e -> e.name().equals("progress")));
        given().get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("status", equalTo("running"))
                .body("progress.scored_pairs", equalTo(1))
                .body("progress.total_pairs", equalTo(3));
        redis.execute("EVAL", new JobProgress(id, 2).evalArgs())
                .await()
                .atMost(Duration.ofSeconds(5));
        redis.execute("EVAL", new JobProgress(id, 1).evalArgs())
                .await()
                .atMost(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5))
                .until(
                        () ->
                                sse.events().stream()
                                                .filter(e -> e.name().equals("progress"))
                                                .count()
                                        == 2);
        assertTrue(
                write(
                                JobTransition.to(id, JobStatus.SUCCEEDED)
                                        .expectVersion(running.version())
                                        .set(JobFields.FINISHED_AT, System.currentTimeMillis())
                                        .set(
                                                JobFields.RESULT,
                                                JobCodec.encodeResult(
                                                        new JobResult(
                                                                "m",
                                                                List.of(),
                                                                new JobResult.Usage(3, 3),
                                                                1))))
                        .applied(),
                "progress writes do not move the version the result write expects");
        redis.execute("EVAL", new JobProgress(id, 3).evalArgs())
                .await()
                .atMost(Duration.ofSeconds(5));
        assertEquals(200, sse.ended().get(10, TimeUnit.SECONDS));
        List<String> names = sse.events().stream().map(SseRecorder.Event::name).toList();
        assertEquals(List.of("status", "status", "progress", "progress", "result"), names);
        List<Integer> counts =
                sse.events().stream()
                        .filter(e -> e.name().equals("progress"))
                        .map(e -> readTree(e.data()).get("progress").get("scored_pairs").asInt())
                        .toList();
        assertEquals(List.of(1, 2), counts);
        given().get("/v1/rerank/jobs/" + id).then().statusCode(200).body("progress", equalTo(null));
    }

    /** POSTs {@code body} as JSON to {@code path}; the response, to check. */
    private static ValidatableResponse postJson(String path, String body) {
        return given().contentType(ContentType.JSON).body(body).post(path).then();
    }

    private static JsonNode readTree(String json) {
        try {
            return JobCodec.mapper().readTree(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void sseStreamsStatusThenResultAndEnds() throws Exception {
        String id = submit(JobSubmissionTest.BEIJING);
        SseRecorder sse = SseRecorder.open(base + "v1/rerank/jobs/" + id + "/events");
        await().atMost(Duration.ofSeconds(5)).until(() -> !sse.events().isEmpty());
        assertEquals("status", sse.events().get(0).name());
        score(id, 0.3, 0.8, 0.1);

        assertEquals(200, sse.ended().get(10, TimeUnit.SECONDS));
        assertTrue(sse.contentType().startsWith("text/event-stream"), sse.contentType());
        // a proxy in front (nginx, an ingress) must pass each event on at once, not buffer the
        // stream
        assertEquals("no", sse.header("X-Accel-Buffering"), "SSE is marked unbuffered for proxies");
        assertEquals("no-cache", sse.header("Cache-Control"));
        List<String> names = sse.events().stream().map(SseRecorder.Event::name).toList();
        assertEquals("result", names.get(names.size() - 1), names.toString());
        assertTrue(
                names.subList(0, names.size() - 1).stream().allMatch("status"::equals),
                names.toString());
        JsonNode result = JobCodec.mapper().readTree(sse.events().get(names.size() - 1).data());
        String polled = given().get("/v1/rerank/jobs/" + id).then().extract().asString();
        JsonNode poll = JobCodec.mapper().readTree(polled);
        assertEquals(
                poll.get("results"),
                result.get("results"),
                "the result event carries the same body as the poll");
        assertEquals("succeeded", result.get("status").asText());
        // versions only grow: no event is repeated
        List<Long> ids = sse.events().stream().map(e -> Long.parseLong(e.id())).toList();
        assertEquals(ids.stream().distinct().sorted().toList(), ids);
    }

    @Test
    void sseAfterTheJobFinishedDeliversTheResultAtOnce() throws Exception {
        String id = submit(JobSubmissionTest.BEIJING);
        score(id, 0.5, 0.6, 0.7);
        SseRecorder sse = SseRecorder.open(base + "v1/rerank/jobs/" + id + "/events");
        assertEquals(200, sse.ended().get(5, TimeUnit.SECONDS));
        assertEquals(1, sse.events().size());
        assertEquals("result", sse.events().get(0).name());
    }

    @Test
    void sseReconnectWithLastEventIdSkipsWhatWasSeen() throws Exception {
        String id = submit(JobSubmissionTest.BEIJING);
        write(JobTransition.to(id, JobStatus.RUNNING));
        SseRecorder sse =
                SseRecorder.open(base + "v1/rerank/jobs/" + id + "/events", "Last-Event-ID", "2");
        await().atMost(Duration.ofSeconds(3))
                .during(Duration.ofMillis(300))
                .until(() -> sse.events().isEmpty());
        assertTrue(
                write(
                                JobTransition.to(id, JobStatus.CANCELLED)
                                        .set(JobFields.ERROR, "cancelled by test"))
                        .applied());
        assertEquals(200, sse.ended().get(5, TimeUnit.SECONDS));
        assertEquals(List.of("error"), sse.events().stream().map(SseRecorder.Event::name).toList());
        assertTrue(sse.events().get(0).data().contains("cancelled by test"));
    }

    @Test
    void sseSendsHeartbeatsWhileTheJobWaits() throws Exception {
        String id = submit(JobSubmissionTest.BEIJING);
        SseRecorder sse = SseRecorder.open(base + "v1/rerank/jobs/" + id + "/events");
        // the test profile sets rerank.events.heartbeat=1s
        await().atMost(Duration.ofSeconds(5)).until(() -> sse.comments().contains("heartbeat"));
        assertEquals(
                List.of("status"), sse.events().stream().map(SseRecorder.Event::name).toList());
        write(JobTransition.to(id, JobStatus.CANCELLED));
        assertEquals(200, sse.ended().get(5, TimeUnit.SECONDS));
    }

    @Test
    void sseOnAnUnknownJobIs404() {
        given().accept("text/event-stream")
                .get("/v1/rerank/jobs/00000000-0000-0000-0000-00000000abcd/events")
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
    }

    /**
     * Plays the worker for the next sync job whose query is {@code query}: scores its documents by
     * position.
     */
    private CompletableFuture<String> scoreNextJobWithQuery(String query) {
        return playWorkerForNextJobWithQuery(query).thenApply(RerankJob::id);
    }

    /** As {@link #scoreNextJobWithQuery}, answering the job as it came from Kafka. */
    private CompletableFuture<RerankJob> playWorkerForNextJobWithQuery(String query) {
        KafkaBroker.Tail tail = InfrastructureResource.kafka().tail(Topics.JOBS);
        return CompletableFuture.supplyAsync(
                () -> {
                    try (tail) {
                        ConsumerRecord<String, byte[]> rec =
                                tail.await(
                                        r ->
                                                JobCodec.decodeJob(r.value())
                                                        .request()
                                                        .query()
                                                        .equals(query),
                                        Duration.ofSeconds(10));
                        RerankJob job = JobCodec.decodeJob(rec.value());
                        // the record can arrive before the gateway has written the queued state (it
                        // writes it after Kafka's ack)
                        await().atMost(Duration.ofSeconds(5))
                                .until(
                                        () ->
                                                store.find(job.id())
                                                                .await()
                                                                .atMost(Duration.ofSeconds(5))
                                                        != null);
                        double[] scores = new double[job.documentCount()];
                        for (int i = 0; i < scores.length; i++) {
                            scores[i] = i / 10.0;
                        }
                        score(job.id(), job.request().resultCount(), scores);
                        return job;
                    }
                });
    }

    @Test
    void cohereVllmJinaAndTeiRoutesWaitForTheResultAndAnswerInTheirShape() throws Exception {
        for (String path : List.of("/v1/rerank", "/v2/rerank", "/rerank")) {
            String query = "sync " + path + " " + System.nanoTime();
            CompletableFuture<String> worker = scoreNextJobWithQuery(query);
            // vLLM, Jina and TEI ignore fields they do not know, and so do their routes, saying so;
            // Cohere v2 refuses them
            boolean ignores = !path.equals("/v2/rerank");
            postJson(
                            path,
                            "{\"model\":\"rerank-v3.5\",\"query\":\""
                                    + query
                                    + "\",\"documents\":[\"a\",\"b\",{\"text\":\"c\"}],"
                                    + "\"top_n\":2,\"return_documents\":true"
                                    + (ignores ? ",\"some_future_field\":1}" : "}"))
                    .statusCode(200)
                    .body(
                            "meta.warnings",
                            ignores ? hasItem(containsString("some_future_field")) : nullValue())
                    .body("id", equalTo(worker.get(10, TimeUnit.SECONDS)))
                    .body("model", equalTo("test-model"))
                    .body("results", hasSize(2))
                    .body("results[0].index", equalTo(2))
                    .body("usage.total_tokens", equalTo(42))
                    .body("meta.billed_units.search_units", equalTo(1));
        }
    }

    @Test
    void aSyncCallsDocumentsAreAnsweredFromTheRequestAndNeverStored() throws Exception {
        String query = "nothing kept " + System.nanoTime();
        CompletableFuture<String> worker = scoreNextJobWithQuery(query);
        // vLLM's shape returns documents by default
        postJson(
                        "/rerank",
                        "{\"query\":\""
                                + query
                                + "\",\"documents\":[\"secret alpha\",\"secret beta\"]}")
                .statusCode(200)
                .body("results[0].index", equalTo(1))
                .body("results[0].document.text", equalTo("secret beta"));
        String id = worker.get(10, TimeUnit.SECONDS);
        RerankJob queued =
                InfrastructureResource.kafka().readAll(Topics.JOBS).stream()
                        .filter(r -> id.equals(r.key()))
                        .map(r -> JobCodec.decodeJob(r.value()))
                        .findFirst()
                        .orElseThrow();
        assertTrue(
                !queued.request().wantsDocuments(),
                "the queued job does not ask the worker to store the documents' text");
        String stored =
                redis.hash(String.class)
                        .hget(RedisKeys.job(id), JobFields.RESULT)
                        .await()
                        .atMost(Duration.ofSeconds(5));
        assertTrue(stored != null && !stored.contains("secret"), stored);
    }

    @Test
    void aSyncCallsJobIsKeptOnlyAsLongAsARetryCanUseIt() {
        String body = "{\"query\":\"short-lived " + System.nanoTime() + "\",\"documents\":[\"a\"]}";
        String id = postJson("/v1/rerank", body).statusCode(504).extract().path("job_id");
        long ttl = redis.key().ttl(RedisKeys.job(id)).await().atMost(Duration.ofSeconds(5));
        assertTrue(
                ttl > 0 && ttl <= Duration.ofMinutes(15).toSeconds(),
                "rerank.sync.result-retention, not 24 h: " + ttl + " s");
    }

    @Test
    void teiShapeIsRecognisedByTexts() throws Exception {
        String query = "tei " + System.nanoTime();
        CompletableFuture<String> worker = scoreNextJobWithQuery(query);
        postJson(
                        "/rerank",
                        "{\"query\":\""
                                + query
                                + "\",\"texts\":[\"x\",\"y\"],\"return_text\":true,\"raw_scores\":false}")
                .statusCode(200)
                .body("[0].index", equalTo(1))
                .body("[0].score", equalTo(0.1f))
                .body("[1].index", equalTo(0));
        worker.get(5, TimeUnit.SECONDS);
    }

    @Test
    void teiAndVllmTruncationAndScoreOptionsTravelWithTheJob() throws Exception {
        String tei = "tei options " + System.nanoTime();
        CompletableFuture<RerankJob> teiJob = playWorkerForNextJobWithQuery(tei);
        postJson(
                        "/rerank",
                        "{\"query\":\""
                                + tei
                                + "\",\"texts\":[\"x\",\"y\"],\"truncation_direction\":\"Left\","
                                + "\"raw_scores\":true}")
                .statusCode(200);
        RerankRequest fromTei = teiJob.get(10, TimeUnit.SECONDS).request();
        assertEquals(TruncationDirection.LEFT, fromTei.cutFrom());
        assertTrue(fromTei.wantsRawScores());

        String vllm = "vllm options " + System.nanoTime();
        CompletableFuture<RerankJob> vllmJob = playWorkerForNextJobWithQuery(vllm);
        postJson(
                        "/v1/rerank",
                        "{\"query\":\""
                                + vllm
                                + "\",\"documents\":[\"x\"],\"truncate_prompt_tokens\":64}")
                .statusCode(200)
                .body("meta.warnings", nullValue());
        assertEquals(64, vllmJob.get(10, TimeUnit.SECONDS).request().promptTokenLimit());

        String score = "score options " + System.nanoTime();
        CompletableFuture<RerankJob> scoreJob = playWorkerForNextJobWithQuery(score);
        postJson(
                        "/score",
                        "{\"text_1\":\""
                                + score
                                + "\",\"text_2\":[\"x\",\"y\"],\"truncate_prompt_tokens\":32}")
                .statusCode(200);
        assertEquals(32, scoreJob.get(10, TimeUnit.SECONDS).request().promptTokenLimit());

        postJson(
                        "/v1/rerank/jobs",
                        "{\"query\":\"q\",\"documents\":[\"x\"],\"truncate_prompt_tokens\":0}")
                .statusCode(422)
                .body("detail", containsString("truncate_prompt_tokens"));
        postJson("/rerank", "{\"query\":\"q\",\"texts\":[\"x\"],\"truncation_direction\":\"Up\"}")
                .statusCode(422)
                .body("error", containsString("truncation_direction"));
    }

    @Test
    void cohereMaxChunksPerDocAndOurChunkingReachTheJob() throws Exception {
        String cohere = "chunks " + System.nanoTime();
        CompletableFuture<RerankJob> job = playWorkerForNextJobWithQuery(cohere);
        postJson(
                        "/v1/rerank",
                        "{\"query\":\""
                                + cohere
                                + "\",\"documents\":[\"x\"],\"max_chunks_per_doc\":5}")
                .statusCode(200)
                .body("meta.warnings", nullValue());
        assertEquals(Chunking.upTo(5), job.get(10, TimeUnit.SECONDS).request().chunking());

        String ours = "chunking " + System.nanoTime();
        job = playWorkerForNextJobWithQuery(ours);
        postJson(
                        "/v1/rerank",
                        "{\"query\":\""
                                + ours
                                + "\",\"documents\":[\"x\"],"
                                + "\"chunking\":{\"max_chunks\":4,\"tokens\":256,\"overlap_tokens\":32}}")
                .statusCode(200);
        assertEquals(new Chunking(4, 256, 32), job.get(10, TimeUnit.SECONDS).request().chunking());

        String manyDocs =
                IntStream.range(0, 5_001)
                        .mapToObj(i -> "\"d\"")
                        .collect(Collectors.joining(",", "[", "]"));
        postJson(
                        "/v1/rerank/jobs",
                        "{\"query\":\"q\",\"documents\":"
                                + manyDocs
                                + ",\"chunking\":{\"max_chunks\":2}}")
                .statusCode(422)
                .body("detail", containsString("chunking.max_chunks"))
                .body("detail", containsString("10000"));
        postJson(
                        "/v1/rerank/jobs",
                        "{\"query\":\"q\",\"documents\":[\"d\"],"
                                + "\"chunking\":{\"max_chunks\":2,\"tokens\":64,\"overlap_tokens\":64}}")
                .statusCode(422)
                .body("detail", containsString("chunking.overlap_tokens"));
    }

    @Test
    void cohereV1ObjectDocumentsAreRankedByTheirRankFieldsAndEchoedAsSent() throws Exception {
        String query = "rank fields " + System.nanoTime();
        CompletableFuture<RerankJob> worker = playWorkerForNextJobWithQuery(query);
        postJson(
                        "/v1/rerank",
                        "{\"query\":\""
                                + query
                                + "\",\"rank_fields\":[\"title\",\"body\"],\"return_documents\":true,"
                                + "\"documents\":[{\"title\":\"Pandas\",\"body\":\"They eat bamboo.\",\"url\":\"u0\"},"
                                + "{\"body\":\"Beijing is the capital.\",\"year\":2024,\"url\":\"u1\"}]}")
                .statusCode(200)
                .body("results[0].index", equalTo(1))
                .body("results[0].document.url", equalTo("u1"))
                .body("results[0].document.year", equalTo(2024))
                .body("results[1].document.title", equalTo("Pandas"))
                .body("meta.warnings", nullValue());
        RerankRequest queued = worker.get(10, TimeUnit.SECONDS).request();
        assertEquals(
                3_000L + 300_000L,
                queued.deadlineMs(),
                "a sync job's deadline is the call's timeout (3s in tests) plus the retry window"
                        + " (5m): not started by then, it is never scored");
        List<Document> scored = queued.documents();
        assertEquals("title: Pandas\nbody: They eat bamboo.", scored.get(0).text());
        assertEquals("body: Beijing is the capital.", scored.get(1).text());

        postJson(
                        "/v1/rerank/jobs",
                        "{\"query\":\"q\",\"rank_fields\":[\"title\"],"
                                + "\"documents\":[{\"title\":\"a\"},{\"name\":\"b\"}]}")
                .statusCode(422)
                .body("detail", containsString("documents[1]"))
                .body("detail", containsString("rank_fields"));
        postJson("/v2/rerank", "{\"query\":\"q\",\"rank_fields\":\"title\",\"documents\":[\"a\"]}")
                .statusCode(422)
                .body("message", containsString("rank_fields"));
    }

    @Test
    void syncTimeoutIs504WithTheJobIdToPoll() {
        String body =
                "{\"query\":\"nobody scores me " + System.nanoTime() + "\",\"documents\":[\"a\"]}";
        String jobId =
                postJson("/v1/rerank", body)
                        .statusCode(504)
                        // a drop-in route: the problem's fields and each client family's
                        .contentType(ContentType.JSON)
                        .body("type", equalTo("/problems/sync-timeout"))
                        .body("detail", containsString("poll"))
                        .extract()
                        .path("job_id");
        given().get("/v1/rerank/jobs/" + jobId)
                .then()
                .statusCode(200)
                .body("status", equalTo("queued"));
    }

    @Test
    void aRetriedSyncCallWaitsForTheFirstCallsJobInsteadOfQueueingAnother() {
        // what an SDK does after a 504: the same request again, without an Idempotency-Key
        String body =
                "{\"query\":\"retried " + System.nanoTime() + "\",\"documents\":[\"a\",\"b\"]}";
        String first = postJson("/v2/rerank", body).statusCode(504).extract().path("job_id");
        String retry = postJson("/v2/rerank", body).statusCode(504).extract().path("job_id");
        assertEquals(first, retry, "the retry attached to the job already queued");
        String other =
                postJson("/v2/rerank", body.replace("\"b\"", "\"c\""))
                        .statusCode(504)
                        .extract()
                        .path("job_id");
        assertNotEquals(first, other, "another request is another job");
    }

    @Test
    void syncRejectsBadInputLikeTheJobApi() {
        // the drop-in routes answer in the bodies their clients read (DropInCompatibilityTest), as
        // JSON
        postJson("/v2/rerank", "{\"query\":\"q\",\"documents\":[]}")
                .statusCode(422)
                .contentType(ContentType.JSON)
                .body("detail", containsString("documents"));
        postJson("/rerank", "{\"query\":\"q\",\"texts\":\"nope\"}")
                .statusCode(422)
                .contentType(ContentType.JSON)
                .body("error", containsString("texts"));
        postJson("/v1/rerank", "{oops").statusCode(400).contentType(ContentType.JSON);
    }
}
