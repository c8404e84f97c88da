package dev.rerankqueue.gateway.admission;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A tenant's queued work past its front (rerank.admission.front-backlog of the workers' drain) goes
 * to its lane's overflow topic, which the workers read beside the lane's own: another tenant's job
 * then waits in its lane's topic behind at most every tenant's front, never behind a flood's whole
 * backlog.
 */
@QuarkusTest
@TestProfile(TenantFrontTest.Front.class)
@WithTestResource(InfrastructureResource.class)
class TenantFrontTest {

    static final String GROUP = "front-test-workers";

    /**
     * Workers announce 20 pairs/s: a front of 1 s holds 20 pairs, ten jobs of two documents; the
     * backlog may hold 3 s of work (30 such jobs), no tenant share of it. Tenants hooli and
     * initech, those of {@link TenantBacklogShareTest}, may each hold half of it (the two classes
     * share one gateway: each profile is one more build and start).
     */
    public static class Front implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(
                    Map.entry(
                            "rerank.api-keys",
                            "acme:acme-key,globex:globex-key,hooli:hooli-key,initech:initech-key"),
                    Map.entry("rerank.metrics.open", "true"),
                    Map.entry("rerank.admission.consumer-group", GROUP),
                    Map.entry("rerank.admission.min-backlog-jobs", "5"),
                    Map.entry("rerank.admission.sample-interval", "100ms"),
                    Map.entry("rerank.admission.rate-window", "10m"),
                    Map.entry("rerank.admission.max-backlog", "3s"),
                    Map.entry("rerank.admission.front-backlog", "1s"),
                    Map.entry("rerank.quotas.max-backlog-share", "0"),
                    Map.entry("rerank.quotas.tenant.\"hooli\".max-backlog-share", "0.5"),
                    Map.entry("rerank.quotas.tenant.\"initech\".max-backlog-share", "0.5"),
                    // TenantSendShareTest: batch-lane jobs stay 1.5 s in an 8 MiB producer
                    // buffer, of which a tenant may hold a tenth (the producer still gives up
                    // before the gateway: 2.5 s + 7 s < 12 s)
                    Map.entry("rerank.admission.max-tenant-send-share", "0.1"),
                    Map.entry("rerank.kafka.send-timeout", "12s"),
                    Map.entry("mp.messaging.outgoing.jobs-batch-out.linger.ms", "1500"),
                    Map.entry("mp.messaging.outgoing.jobs-batch-out.batch.size", "1048576"),
                    Map.entry("mp.messaging.outgoing.jobs-batch-out.buffer.memory", "8388608"),
                    Map.entry("mp.messaging.outgoing.jobs-batch-out.delivery.timeout.ms", "7000"));
        }
    }

    @Inject RedisDataSource redis;

    @BeforeEach
    void nothingInFlight() {
        for (String tenant : List.of("acme", "globex")) {
            redis.key().del(RedisKeys.inFlight(tenant), RedisKeys.inFlightPairs(tenant));
        }
    }

    /** The announcement a test made, said again every second until the test ends. */
    private AutoCloseable capacity;

    @AfterEach
    void forget() throws Exception {
        if (capacity != null) {
            capacity.close();
            capacity = null;
        }
        redis.hash(String.class).hdel(RedisKeys.WORKER_CAPACITY, "front-worker");
        BacklogAdmissionTest.commitEverything(GROUP);
    }

    private static Set<String> keysOn(String topic) {
        return InfrastructureResource.kafka().readAll(topic).stream()
                .map(r -> r.key())
                .collect(Collectors.toSet());
    }

    private static String submit(String key) {
        return TenantQuotaTest.submitAs(key).then().statusCode(202).extract().path("id");
    }

    private void announce() {
        capacity = BacklogAdmissionTest.announce(redis, "front-worker", 20);
    }

    @Test
    void aTenantsWorkPastItsFrontGoesToTheOverflowTopicAndOthersStayInFront() {
        announce();
        List<String> acme = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            acme.add(submit("acme-key"));
        }
        String globex = submit("globex-key");

        Set<String> front = keysOn(Topics.JOBS);
        Set<String> overflow = keysOn(Topics.jobsOverflow(null));
        List<String> acmeInFront = acme.stream().filter(front::contains).toList();
        List<String> acmeOverflowed = acme.stream().filter(overflow::contains).toList();
        assertEquals(acme.subList(0, 10), acmeInFront, "acme's first ten jobs fill its front");
        assertEquals(acme.subList(10, 16), acmeOverflowed, "the rest go to the overflow topic");
        assertTrue(front.contains(globex), "globex's job is in front: " + globex);
        assertTrue(!overflow.contains(globex), "globex's job is not in the overflow topic");
    }

    /**
     * Admission counts, for a job in its lane's own topic, the work ahead of it there: a tenant
     * that filled the backlog through the overflow topic is refused (503), another tenant's job is
     * still accepted.
     */
    @Test
    void aFloodInTheOverflowTopicDoesNotFillTheBacklogOfOtherTenants() throws Exception {
        BacklogAdmissionTest.commitEverything(GROUP);
        announce();
        int accepted = 0;
        Response refused = null;
        for (int i = 0; i < 60 && refused == null; i++) {
            Response r = TenantQuotaTest.submitAs("acme-key");
            if (r.statusCode() == 202) {
                accepted++;
            } else {
                refused = r;
            }
        }
        assertTrue(refused != null, "60 jobs of acme accepted against a backlog of 30");
        refused.then().statusCode(503).body("type", equalTo("/problems/backlog-full"));
        assertTrue(accepted >= 28 && accepted <= 32, "acme's jobs accepted: " + accepted);
        Thread.sleep(500); // the workers' lag sampled: acme's jobs are in it, not just counted
        String globex = submit("globex-key");
        assertTrue(keysOn(Topics.JOBS).contains(globex), "globex's job is in front");
        TenantQuotaTest.submitAs("acme-key").then().statusCode(503);
    }
}
