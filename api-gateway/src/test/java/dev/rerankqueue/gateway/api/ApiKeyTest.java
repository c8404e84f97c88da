package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.gateway.admission.TenantQuotaTest;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** With API keys configured: every API call needs a key, and a tenant sees only its own jobs. */
@QuarkusTest
@TestProfile(TenantQuotaTest.Quotas.class)
@WithTestResource(InfrastructureResource.class)
class ApiKeyTest {

    @TestHTTPResource("/")
    URL base;

    private static String submitAs(String key) {
        return submitAs(key, JobSubmissionTest.BEIJING);
    }

    private static String submitAs(String key, String job) {
        return given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer " + key)
                .body(job)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
    }

    @Test
    void aMissingOrWrongKeyIs401() {
        given().contentType(ContentType.JSON)
                .body(JobSubmissionTest.BEIJING)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer")
                .body("type", equalTo("/problems/unauthorized"));
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer nope")
                .body(JobSubmissionTest.BEIJING)
                .post("/v2/rerank")
                .then()
                .statusCode(401);
        given().get("/v1/rerank/jobs/00000000-0000-0000-0000-000000000000").then().statusCode(401);
    }

    @Test
    void healthStaysOpenAndMetricsNeedTheScrapeToken() {
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics")
                .then()
                .statusCode(401)
                .contentType("application/problem+json")
                .body("detail", containsString("rerank.metrics.token"));
        given().header("Authorization", "Bearer lumon-key-1")
                .get("/q/metrics")
                .then()
                .statusCode(401); // an API key is not the token
        given().header("Authorization", "Bearer scrape-token-1")
                .urlEncodingEnabled(false)
                .get("/q/./metrics")
                .then()
                .statusCode(200);
        given().urlEncodingEnabled(false).get("/v1/../q/metrics").then().statusCode(401);
        given().urlEncodingEnabled(false)
                .get("/q//metrics")
                .then()
                .statusCode(anyOf(is(401), is(404)));
        given().urlEncodingEnabled(false)
                .get("/q/%6Detrics")
                .then()
                .statusCode(anyOf(is(401), is(404)));
        given().header("Authorization", "Bearer scrape-token-1")
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString("http_server_requests"));
    }

    @Test
    void eachTenantSeesOnlyItsOwnJobs() {
        String lumonJob = submitAs("lumon-key-1");
        given().header("Authorization", "Bearer lumon-key-1")
                .get("/v1/rerank/jobs/" + lumonJob)
                .then()
                .statusCode(200);
        // another tenant gets exactly what an unknown id gets: no hint that the job exists
        given().header("Authorization", "Bearer vandelay-key-2")
                .get("/v1/rerank/jobs/" + lumonJob)
                .then()
                .statusCode(404)
                .body("type", equalTo("/problems/job-not-found"));
        given().header("Authorization", "Bearer vandelay-key-2")
                .accept("text/event-stream")
                .get("/v1/rerank/jobs/" + lumonJob + "/events")
                .then()
                .statusCode(404);
        given().header("Authorization", "Bearer vandelay-key-2")
                .delete("/v1/rerank/jobs/" + lumonJob)
                .then()
                .statusCode(404);
        given().header("Authorization", "Bearer lumon-key-1")
                .get("/v1/rerank/jobs/" + lumonJob)
                .then()
                .statusCode(200)
                .body("status", equalTo("queued"));
    }

    /**
     * A body of 64 KB or more is parsed on a worker thread (LargeBodies): the job it makes is still
     * its caller's, on the job route and in a bulk request.
     */
    @Test
    void aLargeBodyParsedOffTheEventLoopBelongsToItsCaller() {
        String documents =
                IntStream.range(0, 120)
                        .mapToObj(i -> "\"passage " + i + " " + "text ".repeat(140) + "\"")
                        .collect(Collectors.joining(","));
        String job = "{\"query\":\"q\",\"documents\":[" + documents + "]}";
        assertTrue(job.length() >= LargeBodies.OFF_LOOP_BYTES, "a body of " + job.length());
        String id = submitAs("lumon-key-1", job);
        given().header("Authorization", "Bearer lumon-key-1")
                .get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("status", equalTo("queued"));
        given().header("Authorization", "Bearer vandelay-key-2")
                .get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(404);
        String batch =
                given().urlEncodingEnabled(false)
                        .contentType(ContentType.JSON)
                        .header("Authorization", "Bearer vandelay-key-2")
                        .body("{\"jobs\":[" + job + "]}")
                        .post("/v1/rerank/jobs:batch")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("jobs[0].id");
        given().header("Authorization", "Bearer vandelay-key-2")
                .get("/v1/rerank/jobs/" + batch)
                .then()
                .statusCode(200);
        given().header("Authorization", "Bearer lumon-key-1")
                .get("/v1/rerank/jobs/" + batch)
                .then()
                .statusCode(404);
    }

    @Test
    void anotherTenantsBatchAnswersExactlyAsAnUnknownOne() {
        String batch =
                given().urlEncodingEnabled(false)
                        .contentType(ContentType.JSON)
                        .header("Authorization", "Bearer lumon-key-1")
                        .body("{\"jobs\":[" + JobSubmissionTest.BEIJING + "]}")
                        .post("/v1/rerank/jobs:batch")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("batch_id");
        given().header("Authorization", "Bearer lumon-key-1")
                .get("/v1/rerank/batches/" + batch)
                .then()
                .statusCode(200);
        String unknown = UUID.randomUUID().toString();
        for (String suffix : List.of("", "/events")) {
            String theirs =
                    given().header("Authorization", "Bearer vandelay-key-2")
                            .get("/v1/rerank/batches/" + batch + suffix)
                            .then()
                            .statusCode(404)
                            .contentType("application/problem+json")
                            .extract()
                            .asString();
            String none =
                    given().header("Authorization", "Bearer vandelay-key-2")
                            .get("/v1/rerank/batches/" + unknown + suffix)
                            .then()
                            .statusCode(404)
                            .contentType("application/problem+json")
                            .extract()
                            .asString();
            assertEquals(
                    none.replace(unknown, "ID"),
                    theirs.replace(batch, "ID"),
                    "no hint that the batch exists" + suffix);
        }
    }

    @Test
    void anIdempotencyKeyBelongsToOneTenant() {
        String key = "shared-key-" + System.nanoTime();
        Response lumon =
                given().contentType(ContentType.JSON)
                        .header("Authorization", "Bearer lumon-key-1")
                        .header("Idempotency-Key", key)
                        .body(JobSubmissionTest.BEIJING)
                        .post("/v1/rerank/jobs");
        lumon.then().statusCode(202);
        // the same key and body from another tenant: a job of its own, not a replay of lumon's
        Response vandelay =
                given().contentType(ContentType.JSON)
                        .header("Authorization", "Bearer vandelay-key-2")
                        .header("Idempotency-Key", key)
                        .body(JobSubmissionTest.BEIJING)
                        .post("/v1/rerank/jobs");
        vandelay.then().statusCode(202);
        assertNotEquals(lumon.path("id").toString(), vandelay.path("id").toString());
        assertEquals(null, vandelay.header("Idempotent-Replayed"));
        // and another body under that key from a third party's view is no 422 naming lumon's job
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer vandelay-key-2")
                .header("Idempotency-Key", key + "-b")
                .body(JobSubmissionTest.BEIJING.replace("Pandas", "Koalas"))
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202);
    }

    @Test
    void aPathThatWalksOutOfQStillNeedsAKey() throws Exception {
        String lumonJob = submitAs("lumon-key-1");
        HttpClient http = HttpClient.newHttpClient();
        for (String path :
                List.of(
                        "/q/../v1/rerank/jobs/",
                        "/q/%2e%2e/v1/rerank/jobs/",
                        "/%71/../v1/rerank/jobs/")) {
            int status =
                    http.send(
                                    HttpRequest.newBuilder(
                                                    URI.create(
                                                            base.toString().replaceAll("/$", "")
                                                                    + path
                                                                    + lumonJob))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode();
            assertTrue(
                    status == 401 || status == 404 || status == 400,
                    path + " answered " + status + " without a key");
        }
    }

    @Test
    void theHashedKeyFormAndTheXApiKeyHeaderWork() {
        String id = submitAs("vandelay-key-2");
        given().header("X-API-Key", "vandelay-key-2")
                .get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200);
    }
}
