package dev.rerankqueue.gateway.admission;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One tenant cannot take every submission place of a gateway: when its accepts are slow (here a
 * saturated Redis pool holds each quota check for up to 2 s), its submissions past its share of the
 * in-flight limit are refused with a 429 of its own, and another tenant still finds a place.
 */
@QuarkusTest
@TestProfile(SaturatedStoreTest.OneConnection.class)
@WithTestResource(InfrastructureResource.class)
class SubmissionShareTest {

    @Inject ReactiveRedisDataSource reactive;
    @Inject RedisDataSource redis;

    @AfterEach
    void poolFreeAgain() {
        SaturatedStoreTest.awaitPoolFree(redis);
    }

    @Test
    void aTenantWithSlowAcceptsHoldsOnlyItsShareOfThePlaces() throws Exception {
        TenantQuotaTest.submitAs("acme-key")
                .then()
                .statusCode(202); // the quota script is cached: one EVALSHA
        // the pool's free connection blocks for 3 s: every quota check waits up to its 2 s
        reactive.execute("BLPOP", "rerank:test:nothing", "3").subscribe().with(r -> {}, e -> {});
        List<CompletableFuture<Response>> acme = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            acme.add(CompletableFuture.supplyAsync(() -> TenantQuotaTest.submitAs("acme-key")));
            Thread.sleep(100);
        }
        Response globex = TenantQuotaTest.submitAs("globex-key");
        assertFalse(
                globex.statusCode() == 503 && globex.asString().contains("submissions at once"),
                "globex found no place: " + globex.asString());
        int share = 0;
        for (CompletableFuture<Response> f : acme) {
            Response r = f.get(10, TimeUnit.SECONDS);
            if (r.statusCode() == 429) {
                share++;
                r.then()
                        .body("type", equalTo("/problems/quota-exceeded"))
                        .body(
                                "detail",
                                containsString("rerank.admission.max-tenant-submission-share"));
            }
        }
        assertEquals(2, share, "acme's submissions past its 2 places");
    }
}
