package dev.rerankqueue.gateway.admission;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Deadlines as a promise at the door: with the workers' announced capacity as the drain rate (none
 * measured), a job whose deadline is shorter than the wait for the work ahead of it is refused with
 * the earliest deadline it could meet and a Retry-After; an accepted job's view shows its deadline
 * and the start predicted for it.
 */
@QuarkusTest
@TestProfile(DeadlineAdmissionTest.NothingMeasured.class)
@WithTestResource(InfrastructureResource.class)
class DeadlineAdmissionTest {

    static final String GROUP = "deadline-test-workers";

    /** A long backlog limit, so only deadlines refuse; the drain is what the workers announce. */
    public static class NothingMeasured implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "rerank.admission.consumer-group", GROUP,
                    "rerank.admission.min-backlog-jobs", "1000",
                    "rerank.admission.sample-interval", "100ms",
                    "rerank.admission.rate-window", "10m",
                    "rerank.admission.max-backlog", "5m");
        }
    }

    private static final String JOB =
            """
            {"query":"capital of France","documents":["Paris is the capital of France.","Bread."]%s}""";

    @Inject RedisDataSource redis;

    @AfterEach
    void forget() throws Exception {
        redis.hash(String.class).hdel(RedisKeys.WORKER_CAPACITY, "deadline-worker");
        BacklogAdmissionTest.commitEverything(GROUP);
    }

    private static Response submit(String extra) {
        return given().contentType(ContentType.JSON)
                .body(JOB.formatted(extra))
                .post("/v1/rerank/jobs");
    }

    @Test
    void aJobThatCannotStartByItsDeadlineIsRefusedWithTheEarliestItCouldMeet() throws Exception {
        BacklogAdmissionTest.commitEverything(GROUP);
        // 20 pairs/s: 10 jobs/s of 2 documents; 20 jobs ahead are about 2 s of work
        AutoCloseable capacity = BacklogAdmissionTest.announce(redis, "deadline-worker", 20);
        try {
            for (int i = 0; i < 20; i++) {
                submit("").then().statusCode(202);
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    BacklogAdmissionTest.gauge(
                                                    given().get("/q/metrics").asString(),
                                                    "rerank_backlog_jobs{lane=\"interactive\",pool=\"default\"}")
                                            >= 20);

            Response refused = submit(",\"deadline_ms\":500");
            refused.then()
                    .statusCode(503)
                    .contentType("application/problem+json")
                    .body("type", equalTo("/problems/deadline-unmeetable"))
                    .body("detail", containsString("deadline_ms"))
                    .body("detail", containsString("NOT accepted"));
            long earliest = refused.jsonPath().getLong("earliest_deadline_ms");
            assertTrue(earliest >= 1_500 && earliest <= 3_000, "earliest deadline " + earliest);
            long retryAfter = Long.parseLong(refused.header("Retry-After"));
            assertTrue(retryAfter >= 1 && retryAfter <= 3, "Retry-After " + retryAfter);

            // the deadline it could meet is accepted, and its view shows the deadline and the start
            // predicted at the door
            Response accepted = submit(",\"deadline_ms\":" + (earliest + 1_000));
            accepted.then().statusCode(202);
            JsonPath view = viewOf(accepted);
            long created = Instant.parse(view.getString("created_at")).toEpochMilli();
            assertEquals(
                    created + earliest + 1_000,
                    Instant.parse(view.getString("deadline_at")).toEpochMilli());
            long predicted = Instant.parse(view.getString("predicted_start_at")).toEpochMilli();
            assertTrue(
                    predicted - created >= 1_500 && predicted - created <= 3_500,
                    "predicted wait " + (predicted - created));
        } finally {
            capacity.close();
        }
    }

    @Test
    void withNoDrainKnownNothingIsPredictedAndDeadlinesAreTakenOnTrust() throws Exception {
        BacklogAdmissionTest.commitEverything(GROUP);
        await().atMost(Duration.ofSeconds(10))
                .until(
                        () ->
                                BacklogAdmissionTest.gauge(
                                                given().get("/q/metrics").asString(),
                                                "rerank_workers_capacity_pairs{pool=\"default\"}")
                                        == 0);
        Response accepted = submit(",\"deadline_ms\":100");
        accepted.then().statusCode(202);
        JsonPath view = viewOf(accepted);
        assertNull(view.get("predicted_start_at"));
        assertTrue(view.getString("deadline_at") != null);
    }

    private static JsonPath viewOf(Response accepted) {
        return given().get("/v1/rerank/jobs/" + accepted.jsonPath().getString("id"))
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }
}
