package dev.rerankqueue.gateway.admission;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.gateway.auth.ApiKeys;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import dev.rerankqueue.testing.SseRecorder;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Per-tenant quotas through real HTTP, Kafka and Redis: each tenant hits its own limit, and only
 * its own.
 */
@QuarkusTest
@TestProfile(TenantQuotaTest.Quotas.class)
@WithTestResource(InfrastructureResource.class)
public class TenantQuotaTest {

    /**
     * A quota for each of seven tenants; lumon and vandelay, {@code ApiKeyTest}'s, have none (the
     * two classes share one gateway: each profile is one more build and start). vandelay's key is
     * configured in hashed form only.
     */
    public static class Quotas implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(
                    Map.entry(
                            "rerank.api-keys",
                            "acme:acme-key,globex:globex-key,initech:initech-key,hooli:hooli-key,"
                                    + "wayne:wayne-key,umbrella:umbrella-key,stark:stark-key,"
                                    + "dunder:dunder-key,"
                                    + "lumon:lumon-key-1,vandelay:"
                                    + ApiKeys.hashed("vandelay-key-2")),
                    Map.entry("rerank.metrics.token", "scrape-token-1"),
                    Map.entry("rerank.quotas.tenant.\"hooli\".max-in-flight-pairs", "5"),
                    Map.entry("rerank.quotas.tenant.\"dunder\".max-in-flight-pairs", "5"),
                    Map.entry("rerank.admission.enabled", "false"),
                    Map.entry("rerank.quotas.tenant.\"acme\".max-in-flight-jobs", "3"),
                    Map.entry("rerank.quotas.tenant.\"globex\".pairs-per-second", "4"),
                    Map.entry("rerank.quotas.burst", "2s"),
                    Map.entry("rerank.quotas.tenant.\"initech\".max-sse-connections", "1"),
                    Map.entry("rerank.quotas.tenant.\"wayne\".max-stored-share", "0.0001"),
                    Map.entry("rerank.quotas.tenant.\"umbrella\".lanes", "batch"),
                    Map.entry("rerank.quotas.tenant.\"stark\".max-followed-jobs", "5"));
        }
    }

    /** Two documents: two pairs. */
    static final String JOB =
            """
            {"query":"capital of France","documents":["Paris is the capital of France.","Bread."]}""";

    @TestHTTPResource("/")
    URL base;

    @Inject RedisDataSource redis;

    /** Submits {@link #JOB} with {@code key}'s tenant. */
    static Response submitAs(String key) {
        return submitAs(key, JOB);
    }

    /** Submits {@code job} with {@code key}'s tenant. */
    static Response submitAs(String key, String job) {
        return given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer " + key)
                .body(job)
                .post("/v1/rerank/jobs");
    }

    @Test
    void jobsInFlightAreCappedPerTenantAndAFinishedJobFreesItsPlace() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(submitAs("acme-key").then().statusCode(202).extract().path("id"));
        }
        submitAs("acme-key")
                .then()
                .statusCode(429)
                .contentType("application/problem+json")
                .header("Retry-After", "2")
                .body("type", equalTo("/problems/quota-exceeded"))
                .body("detail", containsString("3 jobs queued or running"))
                .body("detail", containsString("rerank.quotas.max-in-flight-jobs"));
        // the sync endpoint counts against the same quota
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer acme-key")
                .body(JOB)
                .post("/v2/rerank")
                .then()
                .statusCode(429);
        // another tenant is not affected
        submitAs("initech-key").then().statusCode(202);
        // a cancelled job is terminal: its place is free again
        given().header("Authorization", "Bearer acme-key")
                .delete("/v1/rerank/jobs/" + ids.get(0))
                .then()
                .statusCode(200);
        submitAs("acme-key").then().statusCode(202);
        submitAs("acme-key").then().statusCode(429);
    }

    /**
     * A job left in its tenant's in-flight set past the retention (its end never came, or Redis
     * lost it) is dropped from the set at the next submission, and so are the pairs taken for it:
     * they no longer count against the tenant's quota while its other jobs keep the set from
     * emptying.
     */
    @Test
    void aJobLeftInFlightPastTheRetentionGivesItsPairsBack() {
        submitAs("dunder-key").then().statusCode(202); // 2 of dunder's 5 pairs, still in flight
        // what the quota script took for a 3-pair job two days ago whose end never came
        String set = RedisKeys.inFlight("dunder");
        redis.sortedSet(String.class)
                .zadd(set, System.currentTimeMillis() - Duration.ofDays(2).toMillis(), "lost-job");
        redis.value(Long.class).incrby(RedisKeys.inFlightPairs("dunder"), 3);
        redis.hash(String.class).hset(RedisKeys.inFlightPools("dunder"), "lost-job", "3 default");
        redis.hash(Long.class).hincrby(RedisKeys.inFlightPoolPairs("dunder"), "default", 3);

        submitAs("dunder-key").then().statusCode(202); // 2 + 2 of 5: the lost job's 3 are back
        assertEquals(4L, redis.value(Long.class).get(RedisKeys.inFlightPairs("dunder")));
        assertEquals(
                4L, redis.hash(Long.class).hget(RedisKeys.inFlightPoolPairs("dunder"), "default"));
        assertNull(redis.hash(String.class).hget(RedisKeys.inFlightPools("dunder"), "lost-job"));
    }

    @Test
    void documentsInFlightAreCappedPerTenantAndACancelGivesThemBack() {
        // 5 documents in flight: two 2-document jobs fit, a third would make 6
        String first = submitAs("hooli-key").then().statusCode(202).extract().path("id");
        submitAs("hooli-key").then().statusCode(202);
        submitAs("hooli-key")
                .then()
                .statusCode(429)
                .header("Retry-After", "2")
                .body("type", equalTo("/problems/quota-exceeded"))
                .body(
                        "detail",
                        containsString(
                                "4 pairs in jobs queued or running and this job has 2; the limit is 5"))
                .body("detail", containsString("rerank.quotas.max-in-flight-pairs"));
        submitAs("initech-key").then().statusCode(202); // another tenant is not affected
        // the transition to a terminal state gives the job's documents back, once
        given().header("Authorization", "Bearer hooli-key")
                .delete("/v1/rerank/jobs/" + first)
                .then()
                .statusCode(200);
        given().header("Authorization", "Bearer hooli-key")
                .delete("/v1/rerank/jobs/" + first)
                .then()
                .statusCode(200);
        submitAs("hooli-key").then().statusCode(202);
        submitAs("hooli-key").then().statusCode(429);
    }

    @Test
    void pairsPerSecondIsATokenBucketWithAComputedRetryAfter() throws Exception {
        // 4 pairs/s, 2 s of burst: 8 pairs = four 2-document jobs, then a refusal
        for (int i = 0; i < 4; i++) {
            submitAs("globex-key").then().statusCode(202);
        }
        Response refused = submitAs("globex-key");
        refused.then()
                .statusCode(429)
                .body("type", equalTo("/problems/quota-exceeded"))
                .body("detail", containsString("4 pairs per second"));
        long retryAfter = Long.parseLong(refused.header("Retry-After"));
        assertTrue(
                retryAfter >= 1 && retryAfter <= 2,
                "two pairs at 4/s refill within a second: " + retryAfter);
        Thread.sleep(retryAfter * 1000);
        submitAs("globex-key").then().statusCode(202);
    }

    @Test
    void eventStreamsArePerTenantAndAClosedOneFreesItsPlace() {
        String id = submitAs("initech-key").then().statusCode(202).extract().path("id");
        String url = base + "v1/rerank/jobs/" + id + "/events";
        try (SseRecorder first = SseRecorder.open(url, "Authorization", "Bearer initech-key")) {
            await().atMost(Duration.ofSeconds(5)).until(() -> !first.events().isEmpty());
            given().header("Authorization", "Bearer initech-key")
                    .accept("text/event-stream")
                    .get(url.replace(base.toString(), "/"))
                    .then()
                    .statusCode(429)
                    .body("detail", containsString("rerank.quotas.max-sse-connections"));
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () -> {
                            SseRecorder again =
                                    SseRecorder.open(url, "Authorization", "Bearer initech-key");
                            try (again) {
                                await().atMost(Duration.ofSeconds(3))
                                        .until(() -> again.status() != 0);
                                assertEquals(200, again.status());
                            }
                        });
    }

    /**
     * A batch stream follows every job of its batch, and counts so against the tenant's followed
     * jobs: with 5 allowed, a stream of a 3-job batch fits, a second one does not (429 naming the
     * key), a single job's stream does; closing the batch stream frees its 3.
     */
    @Test
    void aBatchStreamCountsEachOfItsJobsAgainstTheFollowedJobs() {
        String batch =
                given().urlEncodingEnabled(false)
                        .contentType(ContentType.JSON)
                        .header("Authorization", "Bearer stark-key")
                        .body("{\"jobs\":[" + String.join(",", JOB, JOB, JOB) + "]}")
                        .post("/v1/rerank/jobs:batch")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("batch_id");
        String url = base + "v1/rerank/batches/" + batch + "/events";
        String job = submitAs("stark-key").then().statusCode(202).extract().path("id");
        try (SseRecorder first = SseRecorder.open(url, "Authorization", "Bearer stark-key")) {
            await().atMost(Duration.ofSeconds(5)).until(() -> first.status() != 0);
            assertEquals(200, first.status());
            try (SseRecorder second = SseRecorder.open(url, "Authorization", "Bearer stark-key")) {
                await().atMost(Duration.ofSeconds(5)).until(() -> second.status() != 0);
                assertEquals(429, second.status(), "a second stream of the 3-job batch");
            }
            given().header("Authorization", "Bearer stark-key")
                    .accept("text/event-stream")
                    .get(url.replace(base.toString(), "/"))
                    .then()
                    .statusCode(429)
                    .body("type", equalTo("/problems/quota-exceeded"))
                    .body("detail", containsString("follows 3 jobs"))
                    .body("detail", containsString("rerank.quotas.max-followed-jobs"));
            try (SseRecorder single =
                    SseRecorder.open(
                            base + "v1/rerank/jobs/" + job + "/events",
                            "Authorization",
                            "Bearer stark-key")) {
                await().atMost(Duration.ofSeconds(5)).until(() -> single.status() != 0);
                assertEquals(200, single.status());
            }
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () -> {
                            try (SseRecorder again =
                                    SseRecorder.open(url, "Authorization", "Bearer stark-key")) {
                                await().atMost(Duration.ofSeconds(3))
                                        .until(() -> again.status() != 0);
                                assertEquals(200, again.status());
                            }
                        });
    }

    /**
     * A tenant allowed only the batch lane gets a 403 naming the lanes it may use wherever it asks
     * for the interactive lane (the default of the async and sync routes), and its bulk uploads, on
     * the batch lane by default, are accepted line by line with such a line listed as an error;
     * other tenants keep both lanes.
     */
    @Test
    void aTenantSubmitsOnlyToTheLanesItIsAllowed() {
        submitAs("umbrella-key")
                .then()
                .statusCode(403)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/lane-not-allowed"))
                .body("detail", containsString("lanes [batch]"))
                .body("detail", containsString("rerank.quotas.tenant.\"umbrella\".lanes"));
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer umbrella-key")
                .body(JOB)
                .post("/v2/rerank")
                .then()
                .statusCode(403);
        String batchJob = JOB.replace("{\"query\"", "{\"priority\":\"batch\",\"query\"");
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer umbrella-key")
                .body(batchJob)
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202);
        given().urlEncodingEnabled(false)
                .contentType("application/x-ndjson")
                .header("Authorization", "Bearer umbrella-key")
                .body(
                        (JOB
                                        + "\n"
                                        + JOB.replace(
                                                "{\"query\"",
                                                "{\"priority\":\"interactive\",\"query\"")
                                        + "\n")
                                .getBytes(StandardCharsets.UTF_8))
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(202)
                .body("accepted", equalTo(1))
                .body("errors[0].line", equalTo(2))
                .body("errors[0].type", equalTo("/problems/lane-not-allowed"));
        submitAs("initech-key").then().statusCode(202);
    }

    /**
     * A tenant's stored jobs take at most its share of Redis (rerank.quotas.max-stored-share of
     * maxmemory): jobs that keep their documents' text (return_documents) fill wayne's share of
     * 0.0001 × 1 GiB (about 107 KB) after two of 40 KB, and the third is a 429 naming the share,
     * while another tenant's jobs go on.
     */
    @Test
    void aTenantsStoredJobsTakeAtMostItsShareOfRedis() {
        redis.execute("CONFIG", "SET", "maxmemory", Long.toString(1L << 30));
        try {
            String doc = "x".repeat(10_000);
            String job =
                    "{\"query\":\"q\",\"return_documents\":true,\"documents\":[\""
                            + String.join("\",\"", doc, doc, doc, doc)
                            + "\"]}";
            // the gateway reads maxmemory every second
            await().pollDelay(Duration.ofMillis(1500))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> true);
            for (int i = 0; i < 2; i++) {
                given().contentType(ContentType.JSON)
                        .header("Authorization", "Bearer wayne-key")
                        .body(job)
                        .post("/v1/rerank/jobs")
                        .then()
                        .statusCode(202);
            }
            given().contentType(ContentType.JSON)
                    .header("Authorization", "Bearer wayne-key")
                    .body(job)
                    .post("/v1/rerank/jobs")
                    .then()
                    .statusCode(429)
                    .body("type", equalTo("/problems/quota-exceeded"))
                    .body("detail", containsString("rerank.quotas.max-stored-share"))
                    .body("detail", containsString("bytes of stored jobs"));
            // a small job without documents kept still fits: it is its size that is refused
            submitAs("wayne-key").then().statusCode(202);
            // and another tenant is not affected
            given().contentType(ContentType.JSON)
                    .header("Authorization", "Bearer initech-key")
                    .body(job)
                    .post("/v1/rerank/jobs")
                    .then()
                    .statusCode(202);
        } finally {
            redis.execute("CONFIG", "SET", "maxmemory", "0");
        }
    }
}
