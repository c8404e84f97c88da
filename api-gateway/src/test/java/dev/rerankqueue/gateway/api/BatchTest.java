package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.gateway.admission.BatchSubmitter;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.testing.InfrastructureResource;
import dev.rerankqueue.testing.RawHttp;
import dev.rerankqueue.testing.SseRecorder;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.Socket;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

/**
 * Bulk submission through real HTTP, Kafka and Redis; a worker's writes are simulated through the
 * job store.
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
class BatchTest {

    static final String JOB =
            """
            {"query":"capital of France?","documents":["Bread.","Paris is the capital of France."]}""";

    @Inject JobStore store;

    @TestHTTPResource("/")
    URL base;

    private static String batchOf(int n) {
        return "{\"jobs\":[" + String.join(",", Collections.nCopies(n, JOB)) + "]}";
    }

    private static ExtractableResponse<Response> submit(String body, String idempotencyKey) {
        var req =
                given().urlEncodingEnabled(false)
                        .contentType(ContentType.JSON)
                        .body(body); // a colon is sent as is, like curl does
        if (idempotencyKey != null) {
            req = req.header("Idempotency-Key", idempotencyKey);
        }
        return req.post("/v1/rerank/jobs:batch").then().statusCode(202).extract();
    }

    private void succeed(String id) {
        succeed(store, id);
    }

    /** Does what a worker does for job {@code id}: running, then succeeded with two results. */
    static void succeed(JobStore store, String id) {
        var running =
                store.apply(
                                JobTransition.to(id, JobStatus.RUNNING)
                                        .set(JobFields.STARTED_AT, System.currentTimeMillis()))
                        .await()
                        .atMost(Duration.ofSeconds(5));
        JobResult result =
                new JobResult(
                        "test-model",
                        List.of(new RankedDocument(1, 0.9, null), new RankedDocument(0, 0.1, null)),
                        new JobResult.Usage(2, 20),
                        3);
        assertTrue(
                store.apply(
                                JobTransition.to(id, JobStatus.SUCCEEDED)
                                        .expectVersion(running.version())
                                        .set(JobFields.FINISHED_AT, System.currentTimeMillis())
                                        .set(JobFields.RESULT, JobCodec.encodeResult(result)))
                        .await()
                        .atMost(Duration.ofSeconds(5))
                        .applied());
    }

    @Test
    void oneIdPerJobOnTheBatchLaneAndCountsByStatus() {
        ExtractableResponse<Response> r = submit(batchOf(3), null);
        String batch = r.path("batch_id");
        List<String> ids = r.path("jobs.id");
        assertEquals(3, ids.size());
        assertEquals(3, (int) r.path("accepted"));
        assertTrue(
                r.header("Location").endsWith("/v1/rerank/batches/" + batch), r.header("Location"));
        for (String id : ids) {
            var record =
                    InfrastructureResource.kafka().readAll(Topics.JOBS_BATCH).stream()
                            .filter(x -> x.key().equals(id))
                            .findFirst()
                            .orElseThrow();
            assertEquals(
                    Priority.BATCH,
                    JobCodec.decodeJob(record.value()).request().priority(),
                    "bulk jobs default to the batch lane");
            assertTrue(
                    InfrastructureResource.kafka().readAll(Topics.JOBS).stream()
                            .noneMatch(x -> x.key().equals(id)),
                    "not on the interactive topic");
        }
        given().get("/v1/rerank/batches/" + batch)
                .then()
                .statusCode(200)
                .body("total", equalTo(3))
                .body("counts.queued", equalTo(3))
                .body("done", equalTo(false));

        succeed(ids.get(0));
        succeed(ids.get(1));
        given().delete("/v1/rerank/jobs/" + ids.get(2)).then().statusCode(200);
        given().get("/v1/rerank/batches/" + batch)
                .then()
                .statusCode(200)
                .body("counts.succeeded", equalTo(2))
                .body("counts.cancelled", equalTo(1))
                .body("counts.queued", equalTo(0))
                .body("finished", equalTo(3))
                .body("done", equalTo(true));
    }

    @Test
    void eventsStreamEachResultAsItFinishesThenTheCounts() throws Exception {
        ExtractableResponse<Response> r = submit(batchOf(2), null);
        List<String> ids = r.path("jobs.id");
        SseRecorder sse =
                SseRecorder.open(base + "v1/rerank/batches/" + r.path("batch_id") + "/events");
        await().atMost(Duration.ofSeconds(5)).until(() -> sse.status() == 200);
        succeed(ids.get(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 1);
        assertEquals(
                ids.get(1),
                sse.events().get(0).id(),
                "results come as jobs finish, not in request order");
        succeed(ids.get(0));
        assertEquals(200, sse.ended().get(20, TimeUnit.SECONDS));
        assertEquals(
                List.of("result", "result", "batch"),
                sse.events().stream().map(SseRecorder.Event::name).toList());
        assertTrue(
                sse.events().get(2).data().contains("\"succeeded\":2"), sse.events().get(2).data());
    }

    @Test
    void aBadJobRejectsTheWholeBatchAndNamesIt() {
        String body =
                "{\"jobs\":["
                        + JOB
                        + ",{\"query\":\"\",\"documents\":[\"a\"]},"
                        + JOB
                        + ",{\"query\":\"q\"}]}";
        long before = InfrastructureResource.kafka().readAll(Topics.JOBS_BATCH).size();
        given().urlEncodingEnabled(false)
                .contentType(ContentType.JSON)
                .body(body)
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("errors.field", Matchers.hasItems("jobs[1].query", "jobs[3].documents"));
        assertEquals(
                before,
                InfrastructureResource.kafka().readAll(Topics.JOBS_BATCH).size(),
                "nothing of a rejected batch is sent");
        given().urlEncodingEnabled(false)
                .contentType(ContentType.JSON)
                .body(batchOf(1001))
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422)
                .body("detail", containsString("rerank.limits.max-batch-jobs"));
        // 101 jobs of 1,000 one-character documents: under the body limit, over the documents a
        // bulk request may hold
        String tiny =
                "{\"query\":\"q\",\"documents\":["
                        + String.join(",", Collections.nCopies(1000, "\"d\""))
                        + "]}";
        given().urlEncodingEnabled(false)
                .contentType(ContentType.JSON)
                .body("{\"jobs\":[" + String.join(",", Collections.nCopies(101, tiny)) + "]}")
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422)
                .body("detail", containsString("rerank.limits.max-batch-documents"));
        assertEquals(
                before,
                InfrastructureResource.kafka().readAll(Topics.JOBS_BATCH).size(),
                "nothing of a rejected batch is sent");
        given().urlEncodingEnabled(false)
                .contentType(ContentType.JSON)
                .body("{\"jobs\":[]}")
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422);
        given().urlEncodingEnabled(false)
                .contentType(ContentType.JSON)
                .body("[" + JOB + "]")
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422)
                .body("errors[0].field", equalTo("jobs"));
    }

    @Test
    void aRetriedBatchWithTheSameKeyGivesTheSameBatchAndJobs() {
        ExtractableResponse<Response> first = submit(batchOf(2), "bulk-retry-1");
        ExtractableResponse<Response> again = submit(batchOf(2), "bulk-retry-1");
        assertEquals((String) first.path("batch_id"), again.path("batch_id"));
        assertEquals((List<String>) first.path("jobs.id"), again.path("jobs.id"));
    }

    @Test
    void anUnknownBatchIs404Everywhere() {
        String id = "00000000-0000-0000-0000-000000000000";
        given().get("/v1/rerank/batches/" + id)
                .then()
                .statusCode(404)
                .body("type", equalTo("/problems/batch-not-found"))
                .body("job_id", nullValue());
        given().accept("text/event-stream")
                .get("/v1/rerank/batches/" + id + "/events")
                .then()
                .statusCode(404);
        given().get("/v1/rerank/batches/" + id + "/events").then().statusCode(404);
        // an id with encoded slashes is one unknown id: a 404 problem before the stream opens, not
        // a reset stream
        for (String junk : List.of("..%2F..%2Fq%2Fhealth", "x%3Ajobs")) {
            given().urlEncodingEnabled(false)
                    .accept("text/event-stream")
                    .get("/v1/rerank/batches/" + junk + "/events")
                    .then()
                    .statusCode(404)
                    .contentType("application/problem+json");
            given().urlEncodingEnabled(false)
                    .accept("text/event-stream")
                    .get("/v1/rerank/jobs/" + junk + "/events")
                    .then()
                    .statusCode(404)
                    .contentType("application/problem+json");
            given().urlEncodingEnabled(false)
                    .get("/v1/rerank/batches/" + junk)
                    .then()
                    .statusCode(404);
        }
    }

    @Test
    void deletingABatchCancelsItsUnfinishedJobsAndKeepsTheFinishedOnes() {
        ExtractableResponse<Response> r = submit(batchOf(3), null);
        String batch = r.path("batch_id");
        List<String> ids = r.path("jobs.id");
        succeed(ids.get(0));
        given().delete("/v1/rerank/batches/" + batch)
                .then()
                .statusCode(200)
                .body("counts.succeeded", equalTo(1))
                .body("counts.cancelled", equalTo(2))
                .body("done", equalTo(true));
        given().get("/v1/rerank/jobs/" + ids.get(1)).then().body("status", equalTo("cancelled"));
        given().get("/v1/rerank/jobs/" + ids.get(0)).then().body("status", equalTo("succeeded"));
        // cancelling again changes nothing; another tenant's or an unknown batch is 404
        given().delete("/v1/rerank/batches/" + batch)
                .then()
                .statusCode(200)
                .body("counts.cancelled", equalTo(2));
        given().delete("/v1/rerank/batches/no-such-batch").then().statusCode(404);
    }

    @Test
    void aJsonLinesUploadSubmitsEachGoodLineAndReportsTheBadOnesByNumber() throws Exception {
        String body =
                String.join(
                                "\n",
                                "{\"query\":\"q1\",\"documents\":[\"a\",\"b\"]}",
                                "{\"query\":\"q2\",\"documents\":[\"a\"",
                                "{\"query\":\"q3\",\"documents\":[\"a\"]}",
                                "{\"query\":\"q4\",\"documents\":[\"a\"],\"top_k\":1}",
                                "",
                                "{\"query\":\"q6\",\"documents\":[\"a\"],\"priority\":\"interactive\"}")
                        + "\n";
        ExtractableResponse<Response> r =
                given().urlEncodingEnabled(false)
                        .contentType("application/x-ndjson")
                        .body(body.getBytes(StandardCharsets.UTF_8))
                        .post("/v1/rerank/jobs:batch")
                        .then()
                        .statusCode(202)
                        .extract();
        assertEquals(3, (int) r.path("accepted"));
        assertEquals(2, (int) r.path("invalid"));
        assertEquals(List.of(2, 4), r.path("errors.line"));
        assertEquals("/problems/malformed-json", r.path("errors[0].type"));
        assertTrue(((String) r.path("errors[1].detail")).contains("top_k"), r.asString());
        String batch = r.path("batch_id");
        given().get("/v1/rerank/batches/" + batch)
                .then()
                .statusCode(200)
                .body("total", equalTo(3))
                .body("counts.queued", equalTo(3));
        List<String> queries =
                given().get("/v1/rerank/batches/" + batch + "/results")
                        .asString()
                        .lines()
                        .filter(l -> !l.isBlank())
                        .map(
                                l ->
                                        l.substring(
                                                l.indexOf("\"id\":\"") + 6,
                                                l.indexOf("\"id\":\"") + 42))
                        .map(
                                id ->
                                        InfrastructureResource.kafka()
                                                .readAll(Topics.JOBS_BATCH)
                                                .stream()
                                                .filter(x -> x.key().equals(id))
                                                .findFirst()
                                                .map(x -> JobCodec.decodeJob(x.value()))
                                                .map(j -> j.request().query())
                                                .orElse("on the interactive topic"))
                        .toList();
        assertEquals(
                List.of("q1", "q3", "on the interactive topic"),
                queries,
                "in line order; the batch lane unless a line asks otherwise");
        // nothing valid at all: a 422 naming the lines
        given().urlEncodingEnabled(false)
                .contentType("application/jsonl")
                .body("not json\n{\"query\":\"q\"}\n".getBytes(StandardCharsets.UTF_8))
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("detail", containsString("line 1"))
                .body("detail", containsString("line 2"));
    }

    @Test
    void aBatchCarriesItsOwnMetadataBoundedLikeAJobs() {
        String batch =
                given().urlEncodingEnabled(false)
                        .contentType(ContentType.JSON)
                        .body(
                                "{\"metadata\":{\"run\":\"nightly-7\"},\"jobs\":[{\"query\":\"q\","
                                        + "\"documents\":[\"a\"],\"metadata\":{\"row\":\"1\"}}]}")
                        .post("/v1/rerank/jobs:batch")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("batch_id");
        given().get("/v1/rerank/batches/" + batch)
                .then()
                .statusCode(200)
                .body("metadata.run", equalTo("nightly-7"));
        String uploaded =
                given().urlEncodingEnabled(false)
                        .contentType("application/x-ndjson")
                        .body(
                                "{\"query\":\"q\",\"documents\":[\"a\"]}\n"
                                        .getBytes(StandardCharsets.UTF_8))
                        .post("/v1/rerank/jobs:batch?metadata%5Brun%5D=backfill-3")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("batch_id");
        given().get("/v1/rerank/batches/" + uploaded)
                .then()
                .statusCode(200)
                .body("metadata.run", equalTo("backfill-3"));
        given().urlEncodingEnabled(false)
                .contentType(ContentType.JSON)
                .body(
                        "{\"metadata\":{\"run\":7},\"jobs\":[{\"query\":\"q\",\"documents\":[\"a\"]}]}")
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422)
                .body("detail", containsString("metadata"));
        given().urlEncodingEnabled(false)
                .contentType(ContentType.JSON)
                .body(
                        "{\"metadata\":{\"run\":\""
                                + "x".repeat(600)
                                + "\"},\"jobs\":[{\"query\":\"q\",\"documents\":[\"a\"]}]}")
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422)
                .body("detail", containsString("max-metadata-value-chars"));
        given().urlEncodingEnabled(false)
                .contentType("application/x-ndjson")
                .body("{\"query\":\"q\",\"documents\":[\"a\"]}\n".getBytes(StandardCharsets.UTF_8))
                .post("/v1/rerank/jobs:batch?tag=x")
                .then()
                .statusCode(422)
                .body("detail", containsString("metadata[KEY]=VALUE"));
    }

    /**
     * Each upload holds a worker thread while its client sends: a tenant sending as many as
     * rerank.limits.max-uploads-per-tenant (2) gets 429 for the next, before its body is read, and
     * may send again once one has ended.
     */
    @Test
    void aTenantsUploadsAtOnceAreBoundedAndTheNextIsRefusedUnread() throws Exception {
        List<PipedOutputStream> open = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            PipedOutputStream out = new PipedOutputStream();
            PipedInputStream in = new PipedInputStream(out, 1 << 21);
            open.add(out);
            held.add(
                    HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .build()
                            .sendAsync(
                                    HttpRequest.newBuilder(
                                                    base.toURI().resolve("/v1/rerank/jobs:batch"))
                                            .header("content-type", "application/x-ndjson")
                                            .POST(
                                                    HttpRequest.BodyPublishers.ofInputStream(
                                                            () -> in))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString()));
            // past the 10 KB the REST layer buffers before it calls the method (blank lines)
            out.write(
                    ("{\"query\":\"held\",\"documents\":[\"a\"]}\n" + "\n".repeat(1_000_000))
                            .getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(
                        () ->
                                given().urlEncodingEnabled(false)
                                        .contentType("application/x-ndjson")
                                        .body(
                                                "{\"query\":\"third\",\"documents\":[\"a\"]}\n"
                                                        .getBytes(StandardCharsets.UTF_8))
                                        .post("/v1/rerank/jobs:batch")
                                        .then()
                                        .statusCode(429)
                                        .body("type", equalTo("/problems/quota-exceeded"))
                                        .body(
                                                "detail",
                                                containsString(
                                                        "rerank.limits.max-uploads-per-tenant")));
        for (PipedOutputStream out : open) {
            out.close();
        }
        for (CompletableFuture<HttpResponse<String>> r : held) {
            assertEquals(202, r.get(30, TimeUnit.SECONDS).statusCode());
        }
        given().urlEncodingEnabled(false)
                .contentType("application/x-ndjson")
                .body(
                        "{\"query\":\"after\",\"documents\":[\"a\"]}\n"
                                .getBytes(StandardCharsets.UTF_8))
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(202);
    }

    /**
     * A client that goes away mid-upload leaves its accepted jobs running: the batch is recorded
     * all the same, and found again by the upload's Idempotency-Key.
     */
    @Test
    void anUploadCutOffMidwayStillRecordsTheBatchOfItsAcceptedJobs() throws Exception {
        String key = "cut-off-" + UUID.randomUUID();
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("POST /v1/rerank/jobs:batch HTTP/1.1\r\nHost: localhost\r\n"
                                    + "Content-Type: application/x-ndjson\r\n"
                                    + "Idempotency-Key: "
                                    + key
                                    + "\r\nContent-Length: 100000000\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.write(
                    ("{\"query\":\"cut 1\",\"documents\":[\"a\"]}\n"
                                    + "{\"query\":\"cut 2\",\"documents\":[\"a\"]}\n"
                                    // past what the REST layer buffers before it calls the method
                                    + "\n".repeat(1_000_000))
                            .getBytes(StandardCharsets.UTF_8));
            out.flush();
            // both lines accepted, then the client is gone with 99 MB unsent
            await().atMost(Duration.ofSeconds(20))
                    .until(
                            () ->
                                    InfrastructureResource.kafka()
                                                    .readAll(Topics.jobs(Priority.BATCH))
                                                    .stream()
                                                    .filter(
                                                            r ->
                                                                    new String(
                                                                                    r.value(),
                                                                                    StandardCharsets
                                                                                            .UTF_8)
                                                                            .contains("\"cut 2\""))
                                                    .count()
                                            > 0);
            socket.setSoLinger(true, 0); // a reset, as a crashed client leaves
        }
        String batch = BatchSubmitter.batchId("default", key);
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(
                        () ->
                                given().get("/v1/rerank/batches/" + batch)
                                        .then()
                                        .statusCode(200)
                                        .body("total", equalTo(2)));
    }

    /**
     * A client that trickles its upload (here a byte every 250 ms, under the test profile's floor
     * of 1024 bytes/s over 2 s of waiting) is stopped with 408 at the line it reached, instead of
     * holding a worker thread for as long as it likes; the lines it sent before were submitted.
     */
    @Test
    void aTricklingUploadStopsAtItsLineWithUploadTooSlow() throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("POST /v1/rerank/jobs:batch HTTP/1.1\r\nHost: localhost\r\n"
                                    + "Content-Type: application/x-ndjson\r\n"
                                    + "Connection: close\r\nContent-Length: 100000\r\n\r\n"
                                    + "{\"query\":\"slow 1\",\"documents\":[\"a\"]}\n"
                                    + "{\"query\":\"slow 2\",\"documents\":[\"a\"]}\n")
                            .getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            long start = System.nanoTime();
            byte[] trickle =
                    "{\"query\":\"slow 3\",\"documents\":[\"a\"]}\n"
                            .getBytes(StandardCharsets.UTF_8);
            int sent = 0;
            // at most 20 s of trickling: the whole third line would arrive after 12 s
            while (in.available() == 0 && System.nanoTime() - start < 20_000_000_000L) {
                if (sent < trickle.length) {
                    try {
                        out.write(trickle[sent++]);
                        out.flush();
                    } catch (IOException closed) {
                        break;
                    }
                }
                Thread.sleep(250);
            }
            String answer = RawHttp.readResponse(in);
            assertTrue(answer.startsWith("HTTP/1.1 202"), answer);
            assertTrue(answer.contains("\"accepted\":2"), answer);
            assertTrue(answer.contains("\"stopped_at_line\":3"), answer);
            assertTrue(answer.contains("/problems/upload-too-slow"), answer);
            assertTrue(sent < trickle.length, "stopped before the third line was whole: " + sent);
        }
    }

    @Test
    void aJsonLinesUploadFarOverTheBodyLimitIsReadAsItArrives() throws Exception {
        // few jobs of 1 MB each: the jobs stay on the shared broker, and every job counts in the
        // backlog the later tests are admitted against
        int jobs = 20;
        String documents =
                ",\"documents\":["
                        + String.join(
                                ",", Collections.nCopies(10, "\"" + "x".repeat(100_000) + "\""))
                        + "]}\n";
        // about 20 MB, sent chunked as it is generated: over rerank.limits.max-body-size (4 MB)
        // and the transport's own 16 MB backstop
        InputStream generated =
                new InputStream() {
                    int line;
                    byte[] current = new byte[0];
                    int pos;

                    @Override
                    public int read() {
                        if (pos == current.length) {
                            if (line == jobs) {
                                return -1;
                            }
                            current =
                                    ("{\"query\":\"bulk " + line++ + "\"" + documents)
                                            .getBytes(StandardCharsets.UTF_8);
                            pos = 0;
                        }
                        return current[pos++];
                    }
                };
        HttpResponse<String> r =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                base.toURI().resolve("/v1/rerank/jobs:batch"))
                                        .header("content-type", "application/x-ndjson")
                                        .POST(
                                                HttpRequest.BodyPublishers.ofInputStream(
                                                        () -> new BufferedInputStream(generated)))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, r.statusCode(), r.body());
        JsonNode view = JobCodec.mapper().readTree(r.body());
        assertEquals(jobs, view.get("accepted").asInt(), r.body());
        assertEquals(0, view.get("invalid").asInt(), r.body());
        given().get("/v1/rerank/batches/" + view.get("batch_id").asText())
                .then()
                .statusCode(200)
                .body("total", equalTo(jobs));
    }

    @Test
    void aBatchsResultsDownloadAsJsonLinesOneJobPerLineInOrder() throws Exception {
        ExtractableResponse<Response> r = submit(batchOf(3), null);
        String batch = r.path("batch_id");
        List<String> ids = r.path("jobs.id");
        succeed(ids.get(0));
        succeed(ids.get(2));
        var download =
                given().get("/v1/rerank/batches/" + batch + "/results")
                        .then()
                        .statusCode(200)
                        .contentType(containsString("application/x-ndjson"))
                        .extract()
                        .asString();
        List<String> lines = download.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(3, lines.size(), download);
        for (int i = 0; i < 3; i++) {
            var job = JobCodec.mapper().readTree(lines.get(i));
            assertEquals(ids.get(i), job.get("id").asText(), "line " + i + " is job " + i);
            assertEquals(i == 1 ? "queued" : "succeeded", job.get("status").asText(), lines.get(i));
        }
        var done = JobCodec.mapper().readTree(lines.get(0));
        assertEquals(1, done.get("results").get(0).get("index").asInt());
        assertTrue(
                done.has("started_at") && done.has("finished_at"),
                "a finished job says when it started and ended: " + done);
        // an unknown batch is a 404 before any line is streamed
        given().get("/v1/rerank/batches/no-such-batch/results")
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
    }

    @Test
    void clientMetadataIsEchoedOnEveryJobViewAndBounded() {
        String job =
                "{\"query\":\"q\",\"documents\":[\"a\"],\"metadata\":{\"customer\":\"acme-7\",\"run\":\"nightly\"}}";
        String id =
                given().contentType(ContentType.JSON)
                        .body(job)
                        .post("/v1/rerank/jobs")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("id");
        given().get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("metadata.customer", equalTo("acme-7"))
                .body("metadata.run", equalTo("nightly"));
        succeed(id);
        given().get("/v1/rerank/jobs/" + id)
                .then()
                .body("status", equalTo("succeeded"))
                .body("metadata.customer", equalTo("acme-7"));
        // bounded: entries, key and value lengths (rerank.limits.max-metadata-*), strings only
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 17; i++) {
            many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        for (String bad :
                List.of(
                        many.append("}").toString(),
                        "{\"k\":\"" + "x".repeat(513) + "\"}",
                        "{\"" + "k".repeat(65) + "\":\"v\"}",
                        "{\"k\":1}")) {
            given().contentType(ContentType.JSON)
                    .body("{\"query\":\"q\",\"documents\":[\"a\"],\"metadata\":" + bad + "}")
                    .post("/v1/rerank/jobs")
                    .then()
                    .statusCode(422)
                    .body("detail", containsString("metadata"));
        }
    }
}
