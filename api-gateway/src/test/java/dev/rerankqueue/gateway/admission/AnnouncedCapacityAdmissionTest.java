package dev.rerankqueue.gateway.admission;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.job.Priority;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.ScorerCapacityAnnouncement;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Admission from the first second of a burst: with no drain measured yet (a rate window far longer
 * than the test), the workers' announced capacity alone makes the gateway refuse once the jobs
 * waiting would take longer than the limit, and the first refusal comes after about limit ×
 * capacity of work, not after a fixed number of jobs.
 */
@QuarkusTest
@TestProfile(AnnouncedCapacityAdmissionTest.NothingMeasured.class)
@WithTestResource(InfrastructureResource.class)
class AnnouncedCapacityAdmissionTest {

    static final String GROUP = "capacity-test-workers";

    /**
     * 2 s of backlog allowed; the measured drain needs 200 s of busy time, so only announcements
     * can refuse.
     */
    public static class NothingMeasured implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "rerank.admission.consumer-group", GROUP,
                    "rerank.admission.min-backlog-jobs", "5",
                    "rerank.admission.sample-interval", "100ms",
                    "rerank.admission.rate-window", "10m",
                    "rerank.admission.max-backlog", "2s");
        }
    }

    private static final String JOB =
            """
            {"query":"capital of France","documents":["Paris is the capital of France.","Bread."]}""";

    @Inject RedisDataSource redis;

    @AfterEach
    void forget() {
        redis.hash(String.class).hdel(RedisKeys.WORKER_CAPACITY, "test-worker-a", "test-worker-b");
    }

    @Test
    void aBurstIsRefusedOnceItExceedsTheAnnouncedCapacityTimesTheLimit() throws Exception {
        BacklogAdmissionTest.commitEverything(
                GROUP); // jobs of other tests on the shared broker are not this group's backlog
        // two workers: 12 + 8 = 20 pairs/s, 10 jobs/s of 2 documents, so 2 s of backlog is 20 jobs
        announce("test-worker-a", 12);
        announce("test-worker-b", 8);
        await().atMost(Duration.ofSeconds(10)).until(() -> capacityGauge() == 20.0);

        int accepted = 0;
        Response refused = null;
        for (int i = 0; i < 200 && refused == null; i++) {
            Response r = given().contentType(ContentType.JSON).body(JOB).post("/v1/rerank/jobs");
            if (r.statusCode() == 202) {
                accepted++;
            } else {
                refused = r;
            }
        }
        assertTrue(
                refused != null, "200 jobs of 2 pairs accepted against 20 pairs/s and a 2 s limit");
        refused.then()
                .statusCode(503)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/backlog-full"))
                .body("detail", containsString("drain 10.0 jobs/s"));
        int retryAfter = Integer.parseInt(refused.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 3, "Retry-After " + retryAfter);
        // 20 jobs fit the limit; a sample taken between two submissions may hide the newest few for
        // one interval
        assertTrue(
                accepted >= 18 && accepted <= 26,
                "jobs accepted before the first refusal: " + accepted);

        // workers gone quiet (announcements stale or withdrawn) and nothing measured: the check
        // fails open again
        forget();
        await().atMost(Duration.ofSeconds(10)).until(() -> capacityGauge() == 0.0);
        given().contentType(ContentType.JSON)
                .body(JOB)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202);
        BacklogAdmissionTest.commitEverything(GROUP);
    }

    @Test
    void jobsOfLongDocumentsAreAdmittedByTheTokensTheyAreCharged() throws Exception {
        BacklogAdmissionTest.commitEverything(GROUP);
        // 1,000 pairs/s would drain 500 two-document jobs a second, 1,000 within the 2 s limit;
        // 20,000 charged tokens/s drains about 2 of these jobs (2 × (384 + 17 + 4,000) tokens)
        redis.hash(String.class)
                .hset(
                        RedisKeys.WORKER_CAPACITY,
                        "test-worker-a",
                        new ScorerCapacityAnnouncement(System.currentTimeMillis(), 1000, 20_000)
                                .wire());
        await().atMost(Duration.ofSeconds(10)).until(() -> tokenCapacityGauge() == 20_000.0);
        String longDocument = "Paris is the capital of France. ".repeat(125);
        String job =
                "{\"query\":\"capital of France\",\"documents\":[\""
                        + longDocument
                        + "\",\""
                        + longDocument
                        + "\"]}";
        int accepted = 0;
        Response refused = null;
        for (int i = 0; i < 200 && refused == null; i++) {
            Response r = given().contentType(ContentType.JSON).body(job).post("/v1/rerank/jobs");
            if (r.statusCode() == 202) {
                accepted++;
            } else {
                refused = r;
            }
        }
        assertTrue(
                refused != null,
                "200 jobs of 8,800 tokens accepted against 20,000 tokens/s and a 2 s limit");
        refused.then().statusCode(503).body("type", equalTo("/problems/backlog-full"));
        // the mean job this gateway was offered includes the other test's short ones, so the
        // first refusal comes a few jobs later than 2 s of these alone would give
        assertTrue(accepted <= 40, "jobs accepted before the first refusal: " + accepted);
        BacklogAdmissionTest.commitEverything(GROUP);
    }

    /**
     * Two models, each in its own pool: a flood of the slow one is refused at its own pool's
     * backlog while the other model's jobs are still accepted, and each job is on its own pool's
     * topic.
     */
    @Test
    void aFloodOfOneModelNeverRefusesAJobOfAnother() throws Exception {
        BacklogAdmissionTest.commitEverything(GROUP);
        ModelPool large = ModelPool.of("capacity-test-large");
        InfrastructureResource.kafka().createPool(large);
        String small = "test/small-reranker";
        String big = "test/large-reranker";
        try {
            serve(small, ModelPool.DEFAULT_POOL);
            serve(big, large);
            // the default pool drains 1,000 pairs/s, the large one 2: its 2 s limit is 2 pairs
            announce("test-worker-a", 1000);
            redis.hash(String.class)
                    .hset(
                            RedisKeys.workerCapacity(large),
                            "large-worker",
                            new ScorerCapacityAnnouncement(System.currentTimeMillis(), 2).wire());
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    BacklogAdmissionTest.gauge(
                                                    given().get("/q/metrics").asString(),
                                                    "rerank_workers_capacity_pairs{pool=\""
                                                            + large
                                                            + "\"}")
                                            == 2.0);
            int acceptedBig = 0;
            Response refused = null;
            for (int i = 0; i < 50 && refused == null; i++) {
                Response r =
                        given().contentType(ContentType.JSON)
                                .body(job(big))
                                .post("/v1/rerank/jobs");
                if (r.statusCode() == 202) {
                    acceptedBig++;
                } else {
                    refused = r;
                }
            }
            assertTrue(refused != null, "50 jobs accepted against 2 pairs/s and a 2 s limit");
            refused.then().statusCode(503).body("type", equalTo("/problems/backlog-full"));
            for (int i = 0; i < 10; i++) {
                given().contentType(ContentType.JSON)
                        .body(job(small))
                        .post("/v1/rerank/jobs")
                        .then()
                        .statusCode(202);
            }
            List<String> onLarge =
                    InfrastructureResource.kafka()
                            .readAll(large.jobs(Priority.INTERACTIVE))
                            .stream()
                            .map(r -> JobCodec.decodeJob(r.value()).request().model())
                            .toList();
            assertEquals(acceptedBig, onLarge.size(), "every accepted job of the slow model");
            // the accept SLO of each pool: the slow model's refusal is its pool's alone
            String metrics = given().get("/q/metrics").asString();
            String ofLarge = "rerank_submissions_total{outcome=\"%s\",pool=\"" + large + "\"}";
            assertEquals(
                    acceptedBig,
                    BacklogAdmissionTest.gauge(metrics, ofLarge.formatted("accepted")),
                    0.0);
            assertEquals(
                    1.0, BacklogAdmissionTest.gauge(metrics, ofLarge.formatted("backlog-full")));
            assertEquals(
                    0.0,
                    BacklogAdmissionTest.gauge(
                            metrics,
                            "rerank_submissions_total{outcome=\"queue-unavailable\",pool=\""
                                    + large
                                    + "\"}"),
                    "exported before its first refusal");
            assertTrue(onLarge.stream().allMatch(big::equals), onLarge.toString());
            given().get("/v1/models")
                    .then()
                    .statusCode(200)
                    .body("data.find { it.id == '" + big + "' }.pool", equalTo(large.name()))
                    .body("data.find { it.id == '" + small + "' }.pool", equalTo("default"))
                    .body("data.find { it.id == '" + big + "' }.state", equalTo("ready"));
        } finally {
            redis.hash(String.class).hdel(RedisKeys.SERVED_MODELS, small, big);
            redis.hash(String.class).hdel(RedisKeys.MODEL_POOLS, small, big);
            redis.hash(String.class).hdel(RedisKeys.workerCapacity(large), "large-worker");
            BacklogAdmissionTest.commitEverything(GROUP);
        }
    }

    private void serve(String model, ModelPool pool) {
        BacklogAdmissionTest.serve(redis, model, pool);
    }

    private static String job(String model) {
        return "{\"model\":\"" + model + "\"," + JOB.strip().substring(1);
    }

    @Test
    void aStaleAnnouncementIsNotCounted() {
        redis.hash(String.class)
                .hset(
                        RedisKeys.WORKER_CAPACITY,
                        "test-worker-a",
                        new ScorerCapacityAnnouncement(
                                        System.currentTimeMillis()
                                                - PoolBacklog.CAPACITY_FRESH_MS
                                                - 1,
                                        50)
                                .wire());
        announce("test-worker-b", 8);
        await().atMost(Duration.ofSeconds(10)).until(() -> capacityGauge() == 8.0);
        assertEquals(8.0, capacityGauge());
    }

    private void announce(String worker, double pairsPerSecond) {
        redis.hash(String.class)
                .hset(
                        RedisKeys.WORKER_CAPACITY,
                        worker,
                        new ScorerCapacityAnnouncement(System.currentTimeMillis(), pairsPerSecond)
                                .wire());
    }

    private static double tokenCapacityGauge() {
        return BacklogAdmissionTest.gauge(
                given().get("/q/metrics").asString(),
                "rerank_workers_capacity_tokens{pool=\"default\"}");
    }

    private static double capacityGauge() {
        return BacklogAdmissionTest.gauge(
                given().get("/q/metrics").asString(),
                "rerank_workers_capacity_pairs{pool=\"default\"}");
    }
}
