package dev.rerankqueue.gateway.admission;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.ScorerCapacityAnnouncement;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One tenant cannot fill the whole backlog: its queued and running jobs may hold at most its share
 * of what the workers drain within the backlog limit, and past it only that tenant is refused (429
 * naming the share), while another tenant's jobs are still accepted.
 */
@QuarkusTest
@TestProfile(TenantFrontTest.Front.class)
@WithTestResource(InfrastructureResource.class)
class TenantBacklogShareTest {

    static final String GROUP = TenantFrontTest.GROUP;

    /**
     * Announced by the test: with the profile's 3 s of backlog, 120 pairs, of which hooli and
     * initech may each hold half, 60 pairs: 30 jobs of two documents.
     */
    static final int CAPACITY = 40;

    @Inject RedisDataSource redis;

    @AfterEach
    void forget() throws Exception {
        redis.hash(String.class).hdel(RedisKeys.WORKER_CAPACITY, "share-worker");
        BacklogAdmissionTest.commitEverything(GROUP);
        // the jobs never finish here: each test starts with nothing in flight
        redis.key().keys(RedisKeys.IN_FLIGHT_PREFIX + "*").forEach(redis.key()::del);
    }

    @Test
    void aTenantPastItsShareOfTheBacklogIsRefusedAloneAndOthersGoOn() throws Exception {
        BacklogAdmissionTest.commitEverything(GROUP);
        AutoCloseable capacity = BacklogAdmissionTest.announce(redis, "share-worker", CAPACITY);
        try {
            int accepted = 0;
            Response refused = null;
            for (int i = 0; i < 120 && refused == null; i++) {
                Response r = TenantQuotaTest.submitAs("hooli-key");
                if (r.statusCode() == 202) {
                    accepted++;
                } else {
                    refused = r;
                }
            }
            assertTrue(refused != null, "120 jobs of hooli accepted against a share of 30");
            refused.then()
                    .statusCode(429)
                    .contentType("application/problem+json")
                    .body("type", equalTo("/problems/quota-exceeded"))
                    .body("detail", containsString("rerank.quotas.max-backlog-share"))
                    .body("detail", containsString("limit is 60"));
            assertTrue(
                    accepted == 30, "hooli's jobs accepted before its first refusal: " + accepted);
            // initech has its own share: the backlog hooli left (60 of 120 pairs) does not hold
            // it back
            for (int i = 0; i < 20; i++) {
                TenantQuotaTest.submitAs("initech-key").then().statusCode(202);
            }
            TenantQuotaTest.submitAs("hooli-key").then().statusCode(429);
        } finally {
            capacity.close();
        }
    }

    /**
     * A share is of one model's pool: hooli's jobs filling its share of the default pool's backlog
     * do not count against its share of another model's pool, which has a backlog of its own.
     */
    @Test
    void aShareFilledOnOneModelLeavesTheTenantItsShareOfAnother() throws Exception {
        BacklogAdmissionTest.commitEverything(GROUP);
        ModelPool large = ModelPool.of("share-test-large");
        InfrastructureResource.kafka().createPool(large);
        String big = "test/share-large-reranker";
        String worker = "share-large-worker";
        AutoCloseable capacity = BacklogAdmissionTest.announce(redis, "share-worker", CAPACITY);
        try {
            BacklogAdmissionTest.serve(redis, big, large);
            redis.hash(String.class)
                    .hset(
                            RedisKeys.workerCapacity(large),
                            worker,
                            new ScorerCapacityAnnouncement(System.currentTimeMillis(), CAPACITY)
                                    .wire());
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    given().get("/q/metrics")
                                            .asString()
                                            .contains(
                                                    "rerank_workers_capacity_pairs{pool=\""
                                                            + large
                                                            + "\"} "
                                                            + (double) CAPACITY));
            for (int i = 0; i < 30; i++) {
                TenantQuotaTest.submitAs("hooli-key").then().statusCode(202);
            }
            TenantQuotaTest.submitAs("hooli-key").then().statusCode(429);
            String bigJob =
                    "{\"model\":\""
                            + big
                            + "\",\"query\":\"capital of France\","
                            + "\"documents\":[\"Paris is the capital of France.\",\"Bread.\"]}";
            int acceptedBig = 0;
            Response refused = null;
            for (int i = 0; i < 60 && refused == null; i++) {
                Response r =
                        given().contentType(ContentType.JSON)
                                .header("Authorization", "Bearer hooli-key")
                                .body(bigJob)
                                .post("/v1/rerank/jobs");
                if (r.statusCode() == 202) {
                    acceptedBig++;
                } else {
                    refused = r;
                }
            }
            assertTrue(
                    acceptedBig == 30,
                    "hooli's jobs for the other model accepted before its first refusal: "
                            + acceptedBig);
            refused.then()
                    .statusCode(429)
                    .body("detail", containsString("rerank.quotas.max-backlog-share"))
                    .body("detail", containsString(large.name()));
        } finally {
            capacity.close();
            redis.hash(String.class).hdel(RedisKeys.SERVED_MODELS, big);
            redis.hash(String.class).hdel(RedisKeys.MODEL_POOLS, big);
            redis.hash(String.class).hdel(RedisKeys.workerCapacity(large), worker);
        }
    }
}
