package dev.rerankqueue.gateway.admission;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A gateway whose Redis pool is saturated: a submission that waited too long for its quota check is
 * refused, and the check it queued, which Redis runs once a connection frees, must then take
 * nothing. Under a flood thousands of such checks ran late; each one left a job that was never
 * accepted in its tenant's in-flight quota until the 24 h stale cut, so the tenant was refused
 * afterwards. A pool of two connections, one the event subscription's and one held by a blocking
 * read, stands for the saturated pool.
 */
@QuarkusTest
@TestProfile(SaturatedStoreTest.OneConnection.class)
@WithTestResource(InfrastructureResource.class)
class SaturatedStoreTest {

    public static class OneConnection implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.redis.max-pool-size", "2",
                    "rerank.admission.enabled", "false",
                    "rerank.admission.store-deadline", "2s",
                    "rerank.models.check", "false",
                    "rerank.api-keys", "umbrella:umbrella-key");
        }
    }

    private static final String JOB =
            """
            {"query":"capital of France","documents":["Paris is the capital of France.","Bread."]}""";

    @Inject ReactiveRedisDataSource reactive;
    @Inject RedisDataSource redis;

    @Test
    void aQuotaCheckGivenUpOnTakesNothingWhenRedisRunsItLater() {
        // one job accepted: the tenant holds one place, and Redis has the quota script cached, so
        // a later check is one EVALSHA
        submit().then().statusCode(202);
        assertEquals(1, inFlight());
        // the pool's free connection blocks for 3.5 s, longer than the gateway waits for its quota
        // check (rerank.admission.store-deadline, 2s here)
        reactive.execute("BLPOP", "rerank:test:nothing", "3.5").subscribe().with(r -> {}, e -> {});
        submit().then()
                .statusCode(503)
                .body("type", equalTo("/problems/overloaded"))
                .body("detail", containsString("quota cannot be checked"));
        // the check ran once the connection was free: the refused job took no place
        await().pollDelay(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () -> {
                            assertEquals(1, inFlight());
                            assertEquals(
                                    "2",
                                    redis.value(String.class)
                                            .get(RedisKeys.inFlightPairs("umbrella")));
                        });
        // and the tenant's next job is accepted and counted
        submit().then().statusCode(202);
        assertEquals(2, inFlight());
    }

    private long inFlight() {
        return redis.sortedSet(String.class).zcard(RedisKeys.inFlight("umbrella"));
    }

    private static Response submit() {
        return given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer umbrella-key")
                .body(JOB)
                .post("/v1/rerank/jobs");
    }
}
