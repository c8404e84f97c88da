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
import org.junit.jupiter.api.AfterEach;
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
public class SaturatedStoreTest {

    /**
     * A Redis pool of two connections with four waiting places; four submissions at once, a tenant
     * holding at most half of them. {@link SubmissionShareTest} and {@code JobStoreReadsTest} share
     * it (each profile is one more build and start of the gateway).
     */
    public static class OneConnection implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(
                    Map.entry("quarkus.redis.max-pool-size", "2"),
                    Map.entry("quarkus.redis.max-pool-waiting", "4"),
                    Map.entry("rerank.admission.enabled", "false"),
                    Map.entry("rerank.admission.store-deadline", "2s"),
                    Map.entry("rerank.models.check", "false"),
                    Map.entry("rerank.admission.max-in-flight-submissions", "4"),
                    Map.entry("rerank.admission.accept-latency-target", "0"),
                    Map.entry("rerank.admission.max-tenant-submission-share", "0.5"),
                    Map.entry(
                            "rerank.api-keys",
                            "umbrella:umbrella-key,acme:acme-key,globex:globex-key"));
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

    /**
     * Waits until the connection a test blocked is free again, so the next test of the profile
     * finds the pool as configured.
     */
    @AfterEach
    void poolFreeAgain() {
        awaitPoolFree(redis);
    }

    static void awaitPoolFree(RedisDataSource redis) {
        await().atMost(Duration.ofSeconds(15))
                .ignoreExceptions()
                .until(() -> redis.execute("PING") != null);
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
