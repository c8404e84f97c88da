package dev.rerankqueue.gateway.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobStateChanges;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.TransitionOutcome;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Completion webhooks against a real HTTP receiver on this machine: a job's end is POSTed signed as
 * Standard Webhooks specifies (the receiver checks the signature with its own HMAC), a receiver
 * that fails at first gets the same event again until it accepts, and webhooks to addresses the
 * gateway must not reach are refused when the job is submitted.
 */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
@TestProfile(WebhookTest.Hooks.class)
class WebhookTest {

    /**
     * The secret of tenant {@code default} (auth is off in tests), as Standard Webhooks writes it.
     */
    static final byte[] SECRET =
            "a-test-secret-of-32-bytes-length".getBytes(StandardCharsets.UTF_8);

    public static class Hooks implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    // hosts allowed by name still may not reach a private address
                    "rerank.webhooks.allowed-hosts",
                            "127.0.0.1,hooks.example.com,169.254.169.254,10.0.0.5,[::1],"
                                    + "[::ffff:169.254.169.254],10.1.2.3",
                    "rerank.webhooks.allowed-private-addresses", "127.0.0.1",
                    "rerank.webhooks.allow-http", "true",
                    "rerank.webhooks.secrets.\"default\"",
                            "whsec_" + Base64.getEncoder().encodeToString(SECRET),
                    "rerank.webhooks.secrets.\"acme\"",
                            "whsec_" + Base64.getEncoder().encodeToString(SECRET),
                    "rerank.webhooks.secrets.\"initech\"",
                            "whsec_" + Base64.getEncoder().encodeToString(SECRET),
                    "rerank.webhooks.initial-backoff", "200ms",
                    "rerank.webhooks.park-for", "2s",
                    "rerank.webhooks.poll-interval", "50ms",
                    "rerank.webhooks.batch-check-interval", "200ms");
        }
    }

    /** One request as the receiver saw it. */
    record Received(String id, String timestamp, String signature, byte[] body) {}

    static HttpServer receiver;
    static final List<Received> received = new CopyOnWriteArrayList<>();

    /** Requests the receiver still answers with 500 before it accepts. */
    static final AtomicInteger failuresLeft = new AtomicInteger();

    @Inject JobStore store;

    @Inject ReactiveRedisDataSource redis;

    @BeforeAll
    static void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext(
                "/hook",
                exchange -> {
                    byte[] body = exchange.getRequestBody().readAllBytes();
                    received.add(
                            new Received(
                                    exchange.getRequestHeaders().getFirst("webhook-id"),
                                    exchange.getRequestHeaders().getFirst("webhook-timestamp"),
                                    exchange.getRequestHeaders().getFirst("webhook-signature"),
                                    body));
                    int status = failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 500 : 204;
                    exchange.sendResponseHeaders(status, -1);
                    exchange.close();
                });
        receiver.start();
    }

    @AfterAll
    static void stopReceiver() {
        receiver.stop(0);
    }

    @BeforeEach
    void aWorkerServesItsModel() {
        received.clear();
        failuresLeft.set(0);
        redis.hash(String.class)
                .hset(
                        RedisKeys.SERVED_MODELS,
                        "test-model",
                        Long.toString(System.currentTimeMillis()))
                .await()
                .atMost(Duration.ofSeconds(5));
    }

    private static String hook() {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    }

    private String submit(String webhook) {
        return given().contentType(ContentType.JSON)
                .body(
                        "{\"query\":\"q\",\"documents\":[\"a\",\"b\"],\"metadata\":{\"run\":\"7\"},"
                                + "\"webhook\":\""
                                + webhook
                                + "\"}")
                .post("/v1/rerank/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
    }

    /** {@code n} jobs of {@code tenant} naming {@code url}, each ended: their deliveries due. */
    private void endedJobsNamingWebhook(String tenant, String url, long now, int n) {
        for (int i = 0; i < n; i++) {
            String id = UUID.randomUUID().toString();
            write(
                    JobTransition.create(
                            id,
                            JobStatus.QUEUED,
                            Map.of(
                                    JobFields.TENANT,
                                    tenant,
                                    JobFields.CREATED_AT,
                                    Long.toString(now),
                                    JobFields.WEBHOOK,
                                    url)));
            assertTrue(
                    write(JobStateChanges.cancelledByClient(id, now, Duration.ofHours(1)))
                            .applied());
        }
    }

    private TransitionOutcome write(JobTransition t) {
        return store.apply(t).await().atMost(Duration.ofSeconds(5));
    }

    /** Does what a worker does: running, then succeeded. */
    private void succeed(String id) {
        TransitionOutcome running =
                write(
                        JobTransition.to(id, JobStatus.RUNNING)
                                .set(JobFields.STARTED_AT, System.currentTimeMillis()));
        JobResult result =
                new JobResult(
                        "test-model",
                        List.of(new RankedDocument(1, 0.9, null), new RankedDocument(0, 0.1, null)),
                        new JobResult.Usage(2, 42),
                        7);
        assertTrue(
                write(
                                JobTransition.to(id, JobStatus.SUCCEEDED)
                                        .expectVersion(running.version())
                                        .set(JobFields.FINISHED_AT, System.currentTimeMillis())
                                        .set(JobFields.RESULT, JobCodec.encodeResult(result)))
                        .applied());
    }

    private static String expectedSignature(Received r) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        mac.update((r.id() + "." + r.timestamp() + ".").getBytes(StandardCharsets.UTF_8));
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(r.body()));
    }

    @Test
    void aJobsEndIsPostedToItsWebhookSignedWithTheTenantsSecret() throws Exception {
        String id = submit(hook());
        await().during(Duration.ofMillis(300))
                .atMost(Duration.ofSeconds(2))
                .until(received::isEmpty); // nothing is announced before the job ends
        succeed(id);
        await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
        Received r = received.get(0);
        assertEquals(expectedSignature(r), r.signature(), "the receiver's own HMAC agrees");
        long age = System.currentTimeMillis() / 1000 - Long.parseLong(r.timestamp());
        assertTrue(age >= 0 && age < 30, "timestamp in seconds, now: " + r.timestamp());
        JsonNode event = JobCodec.mapper().readTree(r.body());
        assertEquals(r.id(), event.get("id").asText());
        assertEquals("job.succeeded", event.get("type").asText());
        assertEquals(id, event.at("/data/id").asText());
        assertEquals("succeeded", event.at("/data/status").asText());
        assertEquals(1, event.at("/data/results/0/index").asInt());
        assertEquals("7", event.at("/data/metadata/run").asText());
        await().atMost(Duration.ofSeconds(5))
                .until(
                        () ->
                                "delivered"
                                        .equals(
                                                redis.hash(String.class)
                                                        .hget(
                                                                RedisKeys.job(id),
                                                                JobFields.WEBHOOK_STATUS)
                                                        .await()
                                                        .atMost(Duration.ofSeconds(5))));
        given().get("/v1/rerank/jobs/" + id)
                .then()
                .statusCode(200)
                .body("webhook.url", equalTo(hook()))
                .body("webhook.status", equalTo("delivered"))
                .body("webhook.attempts", equalTo(1));
        await().during(Duration.ofMillis(500))
                .atMost(Duration.ofSeconds(2))
                .until(() -> received.size() == 1); // delivered once
    }

    /**
     * Accepts every connection to {@code server}, writes {@code answer} on it and then holds it
     * open, reading nothing, until the test closes the server; the connections held so far.
     */
    private static List<Socket> holdConnections(ServerSocket server, byte[] answer) {
        List<Socket> held = new CopyOnWriteArrayList<>();
        Thread acceptor =
                new Thread(
                        () -> {
                            try {
                                while (true) {
                                    Socket s = server.accept();
                                    held.add(s);
                                    s.getOutputStream().write(answer);
                                    s.getOutputStream().flush();
                                }
                            } catch (IOException e) {
                                // closed at the end of the test
                            }
                        });
        acceptor.setDaemon(true);
        acceptor.start();
        return held;
    }

    /**
     * A receiver that answers 200 with a Content-Length and then never sends the body holds no
     * sender: as many such deliveries as there are senders, and another tenant's healthy receiver
     * still gets its event.
     */
    @Test
    void aReceiverThatWithholdsItsBodyDoesNotHoldTheSenders() throws Exception {
        try (ServerSocket tarpit = new ServerSocket(0, 64, InetAddress.getByName("127.0.0.1"))) {
            List<Socket> held =
                    holdConnections(
                            tarpit,
                            "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                                    .getBytes(StandardCharsets.US_ASCII));
            String slow = "http://127.0.0.1:" + tarpit.getLocalPort() + "/hook";
            long now = System.currentTimeMillis();
            // as many as the gateway has senders (rerank.webhooks.max-in-flight, 32)
            for (int i = 0; i < 32; i++) {
                assertTrue(
                        write(
                                        JobStateChanges.cancelledByClient(
                                                submit(slow), now, Duration.ofHours(1)))
                                .applied());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> held.size() >= 32);
            String id = submit(hook());
            assertTrue(
                    write(JobStateChanges.cancelledByClient(id, now, Duration.ofHours(1)))
                            .applied());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> received.stream().anyMatch(r -> r.id().contains(id)));
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /**
     * One tenant's receivers that never answer hold at most its share of the senders
     * (rerank.webhooks.max-in-flight-per-tenant, 8 of 32): another tenant's event goes out at once,
     * not after the 10 s deadline of the hung attempts.
     */
    @Test
    void aTenantWhoseReceiversHangHoldsOnlyItsShareOfTheSenders() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 64, InetAddress.getByName("127.0.0.1"))) {
            List<Socket> held = holdConnections(silent, new byte[0]);
            String hung = "http://127.0.0.1:" + silent.getLocalPort() + "/hook";
            long now = System.currentTimeMillis();
            endedJobsNamingWebhook("acme", hung, now, 32);
            await().atMost(Duration.ofSeconds(10)).until(() -> held.size() >= 8);
            Thread.sleep(500); // every acme delivery claimed by now: held or deferred
            String id = submit(hook());
            long sent = System.nanoTime();
            assertTrue(
                    write(JobStateChanges.cancelledByClient(id, now, Duration.ofHours(1)))
                            .applied());
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> received.stream().anyMatch(r -> r.id().contains(id)));
            assertTrue(
                    held.size() <= 8,
                    "acme's hung receivers hold " + held.size() + " senders, its share is 8");
            assertTrue(System.nanoTime() - sent < 5_000_000_000L);
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /**
     * A tenant with thousands of deliveries due to a receiver that never answers (an upload of jobs
     * naming it) delays no other tenant's: the dispatchers take one due delivery from each tenant
     * in turn, not the earliest due of one queue that tenant fills.
     */
    @Test
    void aTenantsBacklogOfDeliveriesDoesNotDelayAnotherTenants() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 64, InetAddress.getByName("127.0.0.1"))) {
            List<Socket> held = holdConnections(silent, new byte[0]);
            String hung = "http://127.0.0.1:" + silent.getLocalPort() + "/hook";
            long now = System.currentTimeMillis();
            endedJobsNamingWebhook("initech", hung, now, 4_000);
            String id = submit(hook());
            long sent = System.nanoTime();
            assertTrue(
                    write(JobStateChanges.cancelledByClient(id, now, Duration.ofHours(1)))
                            .applied());
            await().atMost(Duration.ofSeconds(4))
                    .until(() -> received.stream().anyMatch(r -> r.id().contains(id)));
            long tookMs = (System.nanoTime() - sent) / 1_000_000;
            assertTrue(tookMs < 4_000, "delivered after " + tookMs + " ms");
            for (Socket s : held) {
                s.close();
            }
        } finally {
            // the backlog would keep the senders busy for the tests after this one
            redis.key().del(RedisKeys.webhooksDueOf("initech")).await().indefinitely();
            redis.sortedSet(String.class)
                    .zrem(RedisKeys.WEBHOOK_TENANTS, "initech")
                    .await()
                    .indefinitely();
        }
    }

    /**
     * A receiver that fails every attempt is parked: after {@code
     * rerank.webhooks.park-after-failures} failures running, its tenant's deliveries to it wait out
     * the park (no attempt counted) instead of each retrying on its own backoff; when the park ends
     * one delivery probes, and once the receiver answers again the rest follow.
     */
    @Test
    void aReceiverThatKeepsFailingIsParkedThenProbedUntilItRecovers() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger delivered = new AtomicInteger();
        AtomicInteger healthyAfterMs = new AtomicInteger(Integer.MAX_VALUE);
        long started = System.currentTimeMillis();
        HttpServer failing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        failing.createContext(
                "/hook",
                exchange -> {
                    exchange.getRequestBody().readAllBytes();
                    attempts.incrementAndGet();
                    boolean healthy = System.currentTimeMillis() - started >= healthyAfterMs.get();
                    if (healthy) {
                        delivered.incrementAndGet();
                    }
                    exchange.sendResponseHeaders(healthy ? 204 : 500, -1);
                    exchange.close();
                });
        failing.start();
        try {
            String url = "http://127.0.0.1:" + failing.getAddress().getPort() + "/hook";
            endedJobsNamingWebhook("acme", url, started, 30);
            // another tenant's delivery goes out meanwhile
            String id = submit(hook());
            assertTrue(
                    write(JobStateChanges.cancelledByClient(id, started, Duration.ofHours(1)))
                            .applied());
            await().atMost(Duration.ofSeconds(4))
                    .until(() -> received.stream().anyMatch(r -> r.id().contains(id)));
            Thread.sleep(3_000);
            // unparked, 30 deliveries retrying every 0.2, 0.4, 0.8 ... s would be ~100 attempts
            int seen = attempts.get();
            assertTrue(seen <= 16, seen + " attempts at a receiver that failed every one");
            healthyAfterMs.set(0);
            // the next probe (the park doubles while it fails: 2, 4, 8 s) opens the way for the
            // rest
            await().atMost(Duration.ofSeconds(25)).until(() -> delivered.get() >= 30);
        } finally {
            failing.stop(0);
            redis.key().del(RedisKeys.webhooksDueOf("acme")).await().indefinitely();
            redis.sortedSet(String.class)
                    .zrem(RedisKeys.WEBHOOK_TENANTS, "acme")
                    .await()
                    .indefinitely();
        }
    }

    /** A delivery an older release queued in the one shared outbox is still made, and leaves it. */
    @Test
    void aDeliveryQueuedByAnOlderReleaseIsStillMade() {
        String id = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        redis.hash(String.class)
                .hset(
                        RedisKeys.job(id),
                        Map.of(
                                JobFields.STATUS, JobStatus.CANCELLED.wireName(),
                                JobFields.VERSION, "2",
                                JobFields.TENANT, "default",
                                JobFields.CREATED_AT, Long.toString(now),
                                JobFields.FINISHED_AT, Long.toString(now),
                                JobFields.WEBHOOK, hook()))
                .await()
                .indefinitely();
        redis.sortedSet(String.class).zadd(RedisKeys.WEBHOOKS_DUE, now, id).await().indefinitely();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> received.stream().anyMatch(r -> r.id().contains(id)));
        await().atMost(Duration.ofSeconds(5))
                .until(
                        () ->
                                redis.sortedSet(String.class)
                                                .zscore(RedisKeys.WEBHOOKS_DUE, id)
                                                .await()
                                                .indefinitely()
                                        == null);
    }

    @Test
    void aReceiverThatFailsAtFirstGetsTheSameEventUntilItAccepts() throws Exception {
        failuresLeft.set(2);
        String id = submit(hook());
        long now = System.currentTimeMillis();
        assertTrue(
                write(JobStateChanges.cancelledByClient(id, now, Duration.ofHours(1))).applied());
        await().atMost(Duration.ofSeconds(15)).until(() -> received.size() >= 3);
        await().during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(3))
                .until(() -> received.size() == 3); // two refusals, one delivery, then nothing
        for (Received r : received) {
            assertEquals(received.get(0).id(), r.id(), "one event id on every attempt");
            assertEquals(expectedSignature(r), r.signature());
            assertEquals(
                    "job.cancelled", JobCodec.mapper().readTree(r.body()).get("type").asText());
        }
        Map<String, String> job =
                redis.hash(String.class)
                        .hgetall(RedisKeys.job(id))
                        .await()
                        .atMost(Duration.ofSeconds(5));
        assertEquals("3", job.get(JobFields.WEBHOOK_ATTEMPTS));
        assertEquals("delivered", job.get(JobFields.WEBHOOK_STATUS));
    }

    @Test
    void aBatchsWebhookIsCalledOnceWhenItsLastJobEnds() throws Exception {
        ExtractableResponse<Response> r =
                given().urlEncodingEnabled(false)
                        .contentType(ContentType.JSON)
                        .body(
                                "{\"webhook\":\""
                                        + hook()
                                        + "\",\"metadata\":{\"run\":\"n-1\"},\"jobs\":["
                                        + "{\"query\":\"q\",\"documents\":[\"a\",\"b\"]},"
                                        + "{\"query\":\"q\",\"documents\":[\"a\"]}]}")
                        .post("/v1/rerank/jobs:batch")
                        .then()
                        .statusCode(202)
                        .extract();
        String batch = r.path("batch_id");
        List<String> ids = r.path("jobs.id");
        succeed(ids.get(0));
        await().during(Duration.ofMillis(600))
                .atMost(Duration.ofSeconds(2))
                .until(received::isEmpty); // one job of two has ended: nothing yet
        write(
                JobStateChanges.cancelledByClient(
                        ids.get(1), System.currentTimeMillis(), Duration.ofHours(1)));
        await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
        await().during(Duration.ofMillis(600))
                .atMost(Duration.ofSeconds(2))
                .until(() -> received.size() == 1); // one event for the batch
        Received got = received.get(0);
        assertEquals(expectedSignature(got), got.signature());
        JsonNode event = JobCodec.mapper().readTree(got.body());
        assertEquals("batch.completed", event.get("type").asText());
        assertEquals("batch_" + batch + "_completed", got.id());
        assertEquals(batch, event.at("/data/id").asText());
        assertEquals(1, event.at("/data/counts/succeeded").asInt());
        assertEquals(1, event.at("/data/counts/cancelled").asInt());
        assertTrue(event.at("/data/done").asBoolean());
        assertEquals("n-1", event.at("/data/metadata/run").asText());
    }

    @Test
    void webhooksToPlacesTheGatewayMustNotReachAreRefusedOnSubmission() {
        Map<String, String> refused =
                Map.of(
                        "http://169.254.169.254/latest/meta-data", "not public",
                        "http://10.0.0.5/hook", "not public",
                        "http://[::ffff:169.254.169.254]/hook", "not public",
                        "http://[::1]/hook", "not public",
                        "https://evil.example.org/hook", "is not one webhooks may reach",
                        "ftp://hooks.example.com/hook", "http or https",
                        "http://user:pw@hooks.example.com/hook", "without user",
                        "not a url", "webhook");
        refused.forEach(
                (url, why) ->
                        given().contentType(ContentType.JSON)
                                .body(
                                        "{\"query\":\"q\",\"documents\":[\"a\"],\"webhook\":\""
                                                + url
                                                + "\"}")
                                .post("/v1/rerank/jobs")
                                .then()
                                .statusCode(422)
                                .contentType("application/problem+json")
                                .body("detail", containsString("webhook"))
                                .body("detail", containsString(why)));
        // a batch's jobs are checked the same way, each named by its place
        given().urlEncodingEnabled(false)
                .contentType(ContentType.JSON)
                .body(
                        "{\"jobs\":[{\"query\":\"q\",\"documents\":[\"a\"]},"
                                + "{\"query\":\"q\",\"documents\":[\"a\"],\"webhook\":\"http://10.1.2.3/\"}]}")
                .post("/v1/rerank/jobs:batch")
                .then()
                .statusCode(422)
                .body("detail", containsString("jobs[1].webhook"));
    }
}
