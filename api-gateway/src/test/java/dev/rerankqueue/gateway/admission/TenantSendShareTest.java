package dev.rerankqueue.gateway.admission;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One tenant's jobs on their way to Kafka hold at most its share of the lane producer's buffer:
 * past it that tenant's next job is a 429 at once, while another tenant's job is still sent. The
 * profile's batch-lane producer lingers 1.5 s with an 8 MiB buffer, of which each tenant may hold a
 * tenth (819 KiB): the jobs stay in the buffer as they would behind a slow broker.
 */
@QuarkusTest
@TestProfile(TenantFrontTest.Front.class)
@WithTestResource(InfrastructureResource.class)
class TenantSendShareTest {

    @Inject RedisDataSource redis;

    @AfterEach
    void nothingInFlight() {
        redis.key().keys(RedisKeys.IN_FLIGHT_PREFIX + "*").forEach(redis.key()::del);
    }

    /** A batch-lane job of about 300 KB. */
    static String largeJob() {
        StringBuilder docs = new StringBuilder();
        String doc = "x".repeat(10_000);
        for (int i = 0; i < 30; i++) {
            docs.append(i == 0 ? "" : ",").append('"').append(doc).append('"');
        }
        return "{\"query\":\"q\",\"priority\":\"batch\",\"documents\":[" + docs + "]}";
    }

    /** {@code rerank_admission_sending_bytes{lane="batch"}}, as Prometheus scrapes it. */
    private static double sendingBytes() {
        return given().get("/q/metrics")
                .asString()
                .lines()
                .filter(
                        l ->
                                l.startsWith("rerank_admission_sending_bytes{")
                                        && l.contains("lane=\"batch\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void aTenantsJobsOnTheirWayToKafkaHoldOnlyItsShareOfTheProducersBuffer() {
        String job = largeJob();
        List<CompletableFuture<Response>> acme = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            acme.add(
                    CompletableFuture.supplyAsync(() -> TenantQuotaTest.submitAs("acme-key", job)));
        }
        // the jobs held in the producer's buffer show in the lane's gauge
        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50))
                .ignoreExceptions() // the gauge comes with the gateway's first send
                .until(() -> sendingBytes() >= 2 * 300_000);
        List<Response> answers = acme.stream().map(CompletableFuture::join).toList();
        assertEquals(0, sendingBytes(), "acknowledged: nothing held any more");
        List<Response> refused = answers.stream().filter(r -> r.statusCode() != 202).toList();
        assertEquals(
                1,
                refused.size(),
                "two of acme's jobs fit its share, the third does not: "
                        + answers.stream().map(Response::statusCode).toList());
        refused.get(0)
                .then()
                .statusCode(429)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/quota-exceeded"))
                .body("detail", containsString("rerank.admission.max-tenant-send-share"))
                .body("detail", containsString("batch producer"));
        // another tenant's job is sent meanwhile, and acme's next once its others are acknowledged
        TenantQuotaTest.submitAs("globex-key", job).then().statusCode(202);
        TenantQuotaTest.submitAs("acme-key", job).then().statusCode(202);
    }

    /**
     * An upload's window of lines being sent stays under its tenant's share (three quarters of it,
     * divided between the two uploads a tenant may send at once: 307 KiB here), so three lines of
     * 300 KB, together past the share, go one after another instead of stopping at a 429.
     */
    @Test
    void anUploadsLinesOnTheirWayToKafkaStayWithinItsTenantsShare() {
        String line = largeJob() + "\n";
        Response r =
                given().urlEncodingEnabled(false)
                        .contentType("application/x-ndjson")
                        .header("Authorization", "Bearer globex-key")
                        .body(line.repeat(3).getBytes(StandardCharsets.UTF_8))
                        .post("/v1/rerank/jobs:batch");
        r.then().statusCode(202).body("accepted", equalTo(3));
        assertNull(r.path("stopped_at_line"), r.asString());
    }
}
