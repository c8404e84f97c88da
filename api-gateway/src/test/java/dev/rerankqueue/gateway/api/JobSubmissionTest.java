package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.gateway.admission.JobSubmitterChecks;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * Submitting jobs: 202 only with the record in Kafka, and every kind of bad input rejected with
 * nothing written.
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
class JobSubmissionTest {

    static final String BEIJING =
            """
            {"query":"What is the capital of China?","documents":["Gravity pulls objects together.",
             "The capital of China is Beijing.","Pandas eat bamboo."]}""";

    @Inject JobStore store;

    /** Submits {@code body} and answers the accepted job's id. */
    private static String accepted(String body) {
        return given().contentType(ContentType.JSON)
                .body(body)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
    }

    @TestHTTPResource("/")
    URL base;

    static List<ConsumerRecord<String, byte[]>> jobRecords() {
        return InfrastructureResource.kafka().readAll(Topics.JOBS);
    }

    @Inject RedisDataSource redis;

    @Test
    void newJobsAreRefusedBeforeRedisIsFullAndAcceptedAgainWhenItHasRoom() {
        long used =
                Long.parseLong(
                        redis.execute("INFO", "memory")
                                .toString()
                                .lines()
                                .filter(l -> l.startsWith("used_memory:"))
                                .findFirst()
                                .orElseThrow()
                                .substring("used_memory:".length())
                                .trim());
        try {
            // Redis at 95 % of its ceiling: over the gateway's high-water mark (90 %), under
            // Redis's own refusal
            redis.execute("CONFIG", "SET", "maxmemory", Long.toString(used * 100 / 95));
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(
                            () ->
                                    given().contentType(ContentType.JSON)
                                            .body(BEIJING)
                                            .post("/v1/rerank/jobs")
                                            .then()
                                            .statusCode(503)
                                            .contentType("application/problem+json")
                                            .header("Retry-After", notNullValue())
                                            .body("type", equalTo("/problems/storage-full"))
                                            .body("detail", containsString("NOT accepted")));
            long before = jobRecords().size();
            given().contentType(ContentType.JSON)
                    .body(BEIJING)
                    .post("/v1/rerank/jobs")
                    .then()
                    .statusCode(503);
            assertEquals(before, jobRecords().size(), "a refused job is not on the queue");
        } finally {
            redis.execute("CONFIG", "SET", "maxmemory", "0");
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () ->
                                given().contentType(ContentType.JSON)
                                        .body(BEIJING)
                                        .post("/v1/rerank/jobs")
                                        .then()
                                        .statusCode(202));
    }

    @Test
    void theProducerGivesUpBeforeTheGatewayAnswers503() {
        // max.block.ms + delivery.timeout.ms of the jobs channel: 7 s
        JobSubmitterChecks.producerGivesUpFirst(Duration.ofSeconds(10));
        IllegalStateException e =
                Assertions.assertThrows(
                        IllegalStateException.class,
                        () -> JobSubmitterChecks.producerGivesUpFirst(Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("rerank.kafka.send-timeout"), e.getMessage());
    }

    @Test
    void acceptsAJobOnlyOnceItIsInKafka() {
        Response r =
                given().contentType(ContentType.JSON)
                        .body(BEIJING)
                        .post("/v1/rerank/jobs")
                        .then()
                        .statusCode(202)
                        .contentType(ContentType.JSON)
                        .header("Location", matchesPattern(".*/v1/rerank/jobs/[0-9a-f-]{36}$"))
                        .body("status", equalTo("queued"))
                        .body("created_at", notNullValue())
                        .body("links.events", startsWith("/v1/rerank/jobs/"))
                        .extract()
                        .response();
        String id = r.path("id");
        assertEquals("/v1/rerank/jobs/" + id, r.path("links.self"));

        ConsumerRecord<String, byte[]> record =
                jobRecords().stream().filter(x -> id.equals(x.key())).findFirst().orElse(null);
        assertNotNull(record, "the accepted job is on " + Topics.JOBS);
        RerankJob job = JobCodec.decodeJob(record.value());
        assertEquals("What is the capital of China?", job.request().query());
        assertEquals(3, job.request().documents().size());
        assertEquals("default", job.tenant());

        JobState state = store.find(id).await().atMost(Duration.ofSeconds(5));
        assertEquals(JobStatus.QUEUED, state.status());
        assertEquals(3, state.pairs());
    }

    @Test
    void everyViewSaysUntilWhenTheJobCanBeRead() {
        String id = accepted(BEIJING);
        long now = System.currentTimeMillis();
        String expires =
                given().get("/v1/rerank/jobs/" + id)
                        .then()
                        .statusCode(200)
                        .body("expires_at", notNullValue())
                        .extract()
                        .path("expires_at");
        long in = Instant.parse(expires).toEpochMilli() - now;
        long retention = Duration.ofHours(24).toMillis(); // rerank.results.retention
        assertTrue(
                in > retention - 60_000 && in <= retention + 5_000,
                "expires about one retention from the last write: " + expires);
    }

    @Test
    void eachPriorityLaneHasItsTopic() {
        String batch = accepted(BEIJING.replaceFirst("\\{", "{\"priority\":\"batch\","));
        String interactive = accepted(BEIJING.replaceFirst("\\{", "{\"priority\":0,"));
        List<ConsumerRecord<String, byte[]>> bulk =
                InfrastructureResource.kafka().readAll(Topics.JOBS_BATCH);
        assertTrue(
                bulk.stream().anyMatch(x -> batch.equals(x.key())),
                "a batch-lane job is on " + Topics.JOBS_BATCH);
        assertTrue(
                bulk.stream().noneMatch(x -> interactive.equals(x.key())),
                "an interactive job is not");
        assertTrue(
                jobRecords().stream().anyMatch(x -> interactive.equals(x.key())),
                "it is on " + Topics.JOBS);
        assertTrue(jobRecords().stream().noneMatch(x -> batch.equals(x.key())));
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("lane=\"batch\""), "accepted jobs are counted per lane");
    }

    @Test
    void pollingAQueuedJobShowsItsWaitSoFar() {
        String id = accepted(BEIJING);
        given().get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("id", equalTo(id))
                .body("status", equalTo("queued"))
                .body("timings.queued_ms", notNullValue())
                .body("results", equalTo(null));
    }

    private static void expectProblem(String body, int status, String type, String detailFragment) {
        given().contentType(ContentType.JSON)
                .body(body)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(status)
                .contentType("application/problem+json")
                .body("type", equalTo(type))
                .body("status", equalTo(status))
                .body("detail", containsString(detailFragment))
                .body("instance", equalTo("/v1/rerank/jobs"));
    }

    @Test
    void rejectsMalformedJsonWith400() {
        expectProblem("{\"query\":", 400, "/problems/malformed-json", "malformed JSON");
        expectProblem("", 400, "/problems/malformed-json", "empty");
    }

    @Test
    void rejectsInvalidRequestsWith422NamingTheField() {
        expectProblem(
                "{\"query\":\"\",\"documents\":[\"a\"]}",
                422,
                "/problems/invalid-request",
                "query: must not be empty");
        expectProblem(
                "{\"documents\":[\"a\"]}", 422, "/problems/invalid-request", "query: is required");
        expectProblem(
                "{\"query\":\"q\",\"documents\":[]}",
                422,
                "/problems/invalid-request",
                "documents: must hold at least one");
        expectProblem(
                "{\"query\":\"q\"}", 422, "/problems/invalid-request", "documents: is required");
        expectProblem(
                "{\"query\":\"q\",\"documents\":[\"a\"],\"top_n\":-1}",
                422,
                "/problems/invalid-request",
                "top_n");
        expectProblem(
                "{\"query\":7,\"documents\":[\"a\"]}",
                422,
                "/problems/invalid-request",
                "query: expected a string");
        expectProblem(
                "{\"query\":\"q\",\"documents\":[\"a\",42]}",
                422,
                "/problems/invalid-request",
                "documents[1]");
        expectProblem("[\"q\"]", 422, "/problems/invalid-request", "must be a JSON object");
        String tooMany =
                IntStream.range(0, 10_001)
                        .mapToObj(i -> "\"d" + i + "\"")
                        .collect(Collectors.joining(",", "[", "]"));
        expectProblem(
                "{\"query\":\"q\",\"documents\":" + tooMany + "}",
                422,
                "/problems/invalid-request",
                "has 10001 documents; the limit is 10000");
        // Cohere's ceiling, not 1,000: the worker splits a large job into micro-batches
        given().contentType(ContentType.JSON)
                .body(
                        "{\"query\":\"q\",\"documents\":"
                                + IntStream.range(0, 10_000)
                                        .mapToObj(i -> "\"d" + i + "\"")
                                        .collect(Collectors.joining(",", "[", "]"))
                                + "}")
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202);
    }

    @Test
    void unicodeEdgeCasesAreAcceptedOrRejectedButNeverAServerError() {
        for (String odd :
                List.of("\\ud800", "\\udfff", "\\u0000", "\\ud83d\\ude00", "\\u202e", "\\uffff")) {
            int status =
                    given().contentType(ContentType.JSON)
                            .body("{\"query\":\"q" + odd + "\",\"documents\":[\"d" + odd + "\"]}")
                            .post("/v1/rerank/jobs")
                            .then()
                            .extract()
                            .statusCode();
            assertTrue(status == 202 || status == 422, odd + " gave " + status);
        }
    }

    @Test
    void listsEveryViolationInErrors() {
        given().contentType(ContentType.JSON)
                .body("{\"query\":\"\",\"documents\":[],\"top_n\":-3}")
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(422)
                .body("errors.field", hasItem("query"))
                .body("errors.field", hasItem("documents"))
                .body("errors.field", hasItem("top_n"));
    }

    @Test
    void rejectsABodyOverTheLimitWith413() {
        char[] big = new char[4 * 1024 * 1024 + 10];
        Arrays.fill(big, 'x');
        String body = "{\"query\":\"q\",\"documents\":[\"" + new String(big) + "\"]}";
        given().contentType(ContentType.JSON)
                .body(body)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(413)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/body-too-large"))
                .body("detail", containsString("rerank.limits.max-body-size"));
        // and the gateway keeps serving
        given().contentType(ContentType.JSON)
                .body(BEIJING)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202);
    }

    @Test
    void rejectsAChunkedBodyOverTheLimitWith413Problem() throws Exception {
        byte[] big = new byte[4 * 1024 * 1024 + 100];
        Arrays.fill(big, (byte) 'x');
        // an InputStream body has no known length, so the client sends it chunked, without
        // Content-Length
        HttpResponse<String> r =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(base.toURI().resolve("/v1/rerank/jobs"))
                                        .header("content-type", "application/json")
                                        .POST(
                                                HttpRequest.BodyPublishers.ofInputStream(
                                                        () -> new ByteArrayInputStream(big)))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertEquals(413, r.statusCode());
        assertEquals("application/problem+json", r.headers().firstValue("content-type").orElse(""));
        assertTrue(r.body().contains("/problems/body-too-large"), r.body());
    }

    @Test
    void aChunkedBodyFarOverTheLimitIsCutOffNotBuffered() throws Exception {
        // the transport takes JSON Lines uploads of up to 1 GB; any other body is cut off at four
        // times rerank.limits.max-body-size, never read whole
        InputStream endless =
                new InputStream() {
                    long sent;

                    @Override
                    public int read() {
                        return sent++ < 2L * 1024 * 1024 * 1024 ? 'x' : -1;
                    }
                };
        int status;
        try {
            status =
                    HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(base.toURI().resolve("/v1/rerank/jobs"))
                                            .timeout(Duration.ofSeconds(60))
                                            .header("content-type", "application/json")
                                            .POST(
                                                    HttpRequest.BodyPublishers.ofInputStream(
                                                            () -> new BufferedInputStream(endless)))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode();
        } catch (HttpTimeoutException e) {
            throw new AssertionError("the gateway kept reading a body it should have cut off", e);
        } catch (IOException e) {
            status = 413; // the server closed the connection while the client was still sending
        }
        assertEquals(413, status);
    }

    @Test
    void writesNothingForARejectedRequest() {
        String marker = "rejected-" + System.nanoTime();
        given().contentType(ContentType.JSON)
                .body("{\"query\":\"" + marker + "\",\"documents\":[],\"top_n\":1}")
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(422);
        given().contentType(ContentType.JSON)
                .body("{\"query\":\"" + marker + "\",\"documents\":[\"a\"],\"top_n\":-1}")
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(422);
        assertTrue(
                jobRecords().stream().noneMatch(r -> new String(r.value()).contains(marker)),
                "no record of a rejected request reaches Kafka");
    }

    @Test
    void unknownJobsAndPathsAre404Problems() {
        given().get("/v1/rerank/jobs/00000000-0000-0000-0000-000000000000")
                .then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/job-not-found"));
        given().get("/v1/rerank/jobs/not-a-job-id")
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
        given().get("/v1/no-such-thing")
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
        // a drop-in route answers in the body its clients read, with the problem's fields
        given().delete("/v1/rerank")
                .then()
                .statusCode(405)
                .contentType(ContentType.JSON)
                .body("error.code", equalTo(405));
    }

    @Test
    void readinessCoversKafkaAndRedis() {
        given().get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem(containsString("Redis")))
                .body(
                        "checks.find { it.name.contains('Messaging') }.data.jobs-out",
                        equalTo("[OK]"))
                // ready only once the accept path ran its warm-up requests
                .body("checks.find { it.name == 'accept path warm-up' }.status", equalTo("UP"))
                .body(
                        "checks.find { it.name == 'accept path warm-up' }.data.requests",
                        equalTo(500));
    }

    @Test
    void exportsPrometheusMetrics() {
        given().contentType(ContentType.JSON)
                .body(BEIJING)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(
                metrics.contains("rerank_jobs_accepted_total{endpoint=\"jobs\""),
                "accepted counter");
        assertTrue(metrics.contains("rerank_kafka_send_seconds"), "send timer");
    }
}
