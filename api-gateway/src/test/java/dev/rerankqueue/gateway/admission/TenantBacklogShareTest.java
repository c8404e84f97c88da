package dev.rerankqueue.gateway.admission;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One tenant cannot fill the whole backlog: its queued and running jobs may hold at most its share
 * of what the workers drain within the backlog limit, and past it only that tenant is refused (429
 * naming the share), while another tenant's jobs are still accepted.
 */
@QuarkusTest
@TestProfile(TenantBacklogShareTest.Shares.class)
@WithTestResource(InfrastructureResource.class)
class TenantBacklogShareTest {

    static final String GROUP = "share-test-workers";

    /**
     * Workers announce 20 pairs/s and the backlog may hold 10 s of work (200 pairs); each tenant
     * may hold 0.3 of it, 60 pairs: 30 jobs of two documents.
     */
    public static class Shares implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "rerank.api-keys", "acme:acme-key,globex:globex-key",
                    "rerank.metrics.open", "true",
                    "rerank.admission.consumer-group", GROUP,
                    "rerank.admission.min-backlog-jobs", "5",
                    "rerank.admission.sample-interval", "100ms",
                    "rerank.admission.rate-window", "10m",
                    "rerank.admission.max-backlog", "10s",
                    "rerank.quotas.max-backlog-share", "0.3");
        }
    }

    @Inject RedisDataSource redis;

    @AfterEach
    void forget() throws Exception {
        redis.hash(String.class).hdel(RedisKeys.WORKER_CAPACITY, "share-worker");
        BacklogAdmissionTest.commitEverything(GROUP);
    }

    @Test
    void aTenantPastItsShareOfTheBacklogIsRefusedAloneAndOthersGoOn() throws Exception {
        BacklogAdmissionTest.commitEverything(GROUP);
        AutoCloseable capacity = BacklogAdmissionTest.announce(redis, "share-worker", 20);
        try {
            int accepted = 0;
            Response refused = null;
            for (int i = 0; i < 120 && refused == null; i++) {
                Response r = TenantQuotaTest.submitAs("acme-key");
                if (r.statusCode() == 202) {
                    accepted++;
                } else {
                    refused = r;
                }
            }
            assertTrue(refused != null, "120 jobs of acme accepted against a share of 30");
            refused.then()
                    .statusCode(429)
                    .contentType("application/problem+json")
                    .body("type", equalTo("/problems/quota-exceeded"))
                    .body("detail", containsString("rerank.quotas.max-backlog-share"))
                    .body("detail", containsString("limit is 60"));
            assertTrue(
                    accepted == 30, "acme's jobs accepted before its first refusal: " + accepted);
            // globex has its own share: the backlog acme left (60 of 200 pairs) does not hold it
            // back
            for (int i = 0; i < 20; i++) {
                TenantQuotaTest.submitAs("globex-key").then().statusCode(202);
            }
            TenantQuotaTest.submitAs("acme-key").then().statusCode(429);
        } finally {
            capacity.close();
        }
    }
}
