package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.gateway.auth.WarmupKey;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A gateway with API keys on, on a known port, warms its routes over HTTP before it reports ready:
 * every warm-up request refused at validation, none queued or counted, the credential retired.
 */
@QuarkusTest
@TestProfile(LoopbackWarmupTest.KnownPort.class)
@WithTestResource(InfrastructureResource.class)
class LoopbackWarmupTest {

    static final int REQUESTS = 40;

    public static class KnownPort implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.http.test-port",
                    Integer.toString(freePort()),
                    "rerank.api-keys",
                    "acme:acme-key",
                    "rerank.metrics.token",
                    "scrape-token-1",
                    "rerank.warmup.http-requests",
                    Integer.toString(REQUESTS));
        }

        private static int freePort() {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @TestHTTPResource("/")
    URL base;

    @Inject WarmupKey key;
    @Inject Vertx vertx;

    @Test
    void everyRouteIsWarmedOverHttpAndNothingIsQueuedOrCounted() {
        given().get("/q/health/ready")
                .then()
                .statusCode(200)
                .body(
                        "checks.find { it.name == 'accept path warm-up' }.data.http",
                        equalTo(REQUESTS + " requests answered {422=" + REQUESTS + "}"));
        assertNull(key.key(), "the warm-up's credential is retired once it is done");
        String metrics =
                given().header("Authorization", "Bearer scrape-token-1")
                        .get("/q/metrics")
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString();
        assertFalse(
                metrics.contains("reason=\"invalid-request\""),
                "the warm-up's refusals are not counted as clients' refusals");
        assertTrue(
                JobSubmissionTest.jobRecords().stream()
                        .noneMatch(r -> new String(r.value()).contains(WarmupKey.TENANT)),
                "nothing of the warm-up reaches Kafka");
    }

    @Test
    void afterTheWarmupItsRequestsAreRefusedAsUnauthenticated() throws Exception {
        LoopbackWarmup.Outcome outcome =
                LoopbackWarmup.run(
                        vertx,
                        URI.create(base.toString()),
                        "warmup-guessed",
                        10,
                        Duration.ofSeconds(30));
        assertEquals(Map.of(401, 10), outcome.statuses());
        assertFalse(outcome.anyAccepted());
    }

    /**
     * A server that takes the connections and never answers: the warm-up ends, failing, instead of
     * holding readiness (the client's own timeouts end it; the bounded waits cover requests whose
     * answer never comes at all).
     */
    @Test
    void aServerThatNeverAnswersEndsTheWarmup() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor =
                    new Thread(
                            () -> {
                                try {
                                    while (!silent.isClosed()) {
                                        held.add(silent.accept()); // read nothing, answer nothing
                                    }
                                } catch (IOException closed) {
                                    // the test is over
                                }
                            });
            acceptor.setDaemon(true);
            acceptor.start();
            long start = System.nanoTime();
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () ->
                                    LoopbackWarmup.run(
                                            vertx,
                                            URI.create("http://127.0.0.1:" + silent.getLocalPort()),
                                            "warmup-guessed",
                                            100,
                                            Duration.ofSeconds(60)));
            long seconds = (System.nanoTime() - start) / 1_000_000_000;
            assertTrue(seconds < 30, "ended after " + seconds + " s: " + e.getMessage());
        }
    }

    @Test
    void theWarmupSendsNothingPastItsTimeLimit() throws Exception {
        LoopbackWarmup.Outcome outcome =
                LoopbackWarmup.run(
                        vertx, URI.create(base.toString()), "warmup-guessed", 10, Duration.ZERO);
        assertEquals(0, outcome.sent());
        assertEquals(Map.of(), outcome.statuses());
    }
}
