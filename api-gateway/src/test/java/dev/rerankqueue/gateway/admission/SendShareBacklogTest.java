package dev.rerankqueue.gateway.admission;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A job refused for its tenant's share of the producer's buffer (429) never reached Kafka, so it is
 * not counted in the backlog that admission refuses on: one tenant's refused flood cannot fill the
 * backlog and have every other tenant refused as {@code backlog-full}. The consumer group's lag is
 * sampled once, at start, so the backlog then counts exactly the jobs accepted since.
 */
@QuarkusTest
@TestProfile(SendShareBacklogTest.SampledOnce.class)
@WithTestResource(InfrastructureResource.class)
class SendShareBacklogTest {

    public static class SampledOnce extends TenantFrontTest.Front {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("rerank.admission.sample-interval", "1h");
            return config;
        }
    }

    /** {@code rerank_backlog_jobs{lane="batch"}}, as Prometheus scrapes it. */
    private static double batchBacklog() {
        return given().get("/q/metrics")
                .asString()
                .lines()
                .filter(l -> l.startsWith("rerank_backlog_jobs{") && l.contains("lane=\"batch\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    @Test
    void aJobRefusedForItsSendShareIsNotCountedAsWaiting() {
        double before = batchBacklog();
        String job = TenantSendShareTest.largeJob();
        List<CompletableFuture<Response>> acme =
                List.of(
                        CompletableFuture.supplyAsync(
                                () -> TenantQuotaTest.submitAs("acme-key", job)),
                        CompletableFuture.supplyAsync(
                                () -> TenantQuotaTest.submitAs("acme-key", job)),
                        CompletableFuture.supplyAsync(
                                () -> TenantQuotaTest.submitAs("acme-key", job)));
        List<Integer> statuses =
                acme.stream().map(CompletableFuture::join).map(Response::statusCode).toList();
        long accepted = statuses.stream().filter(s -> s == 202).count();
        assertEquals(2, accepted, "two fit acme's share, the third is a 429: " + statuses);
        assertEquals(
                before + accepted,
                batchBacklog(),
                "the backlog counts the accepted jobs, not the refused one");
    }
}
