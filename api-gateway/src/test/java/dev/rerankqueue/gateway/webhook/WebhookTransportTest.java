package dev.rerankqueue.gateway.webhook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.Vertx;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook POST over real HTTP to a receiver on loopback: it goes to the address that was
 * checked, whatever the name would resolve to now (the name here resolves to nothing at all), with
 * that name as Host; a receiver that never finishes its body or never answers holds an attempt no
 * longer than its deadline.
 */
class WebhookTransportTest {

    private Vertx vertx;
    private WebhookTransport transport;
    private HttpServer receiver;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        transport = new WebhookTransport(vertx, Duration.ofSeconds(2), 4);
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.setExecutor(Executors.newCachedThreadPool());
        receiver.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        receiver.stop(0);
        transport.close();
        vertx.close();
    }

    private URI url(String path) {
        return URI.create("http://receiver.invalid:" + receiver.getAddress().getPort() + path);
    }

    @Test
    void connectsToTheCheckedAddressWithTheNameAsHost() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        AtomicReference<byte[]> got = new AtomicReference<>();
        receiver.createContext(
                "/hook",
                exchange -> {
                    seen.set(
                            exchange.getRequestMethod()
                                    + " "
                                    + exchange.getRequestURI()
                                    + " host="
                                    + exchange.getRequestHeaders().getFirst("Host")
                                    + " sig="
                                    + exchange.getRequestHeaders().getFirst("webhook-signature"));
                    got.set(exchange.getRequestBody().readAllBytes());
                    exchange.sendResponseHeaders(204, -1);
                    exchange.close();
                });
        byte[] body = "{\"id\":\"job_1\"}".getBytes(StandardCharsets.UTF_8);
        int status =
                transport.post(
                        url("/hook?tenant=acme"),
                        InetAddress.getLoopbackAddress(),
                        Map.of("webhook-signature", "v1,abc"),
                        body,
                        Duration.ofSeconds(5));
        assertEquals(204, status);
        assertEquals(
                "POST /hook?tenant=acme host=receiver.invalid:"
                        + receiver.getAddress().getPort()
                        + " sig=v1,abc",
                seen.get());
        assertArrayEquals(body, got.get());
    }

    @Test
    void aBodyThatNeverEndsIsNotWaitedFor() throws Exception {
        receiver.createContext(
                "/slow-body",
                exchange -> {
                    exchange.getRequestBody().readAllBytes();
                    exchange.sendResponseHeaders(200, 0); // chunked, never finished
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write("{\"ok\":".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        release.await(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        // the client went away
                    }
                });
        long start = System.nanoTime();
        int status =
                transport.post(
                        url("/slow-body"),
                        InetAddress.getLoopbackAddress(),
                        Map.of(),
                        new byte[] {'{', '}'},
                        Duration.ofSeconds(5));
        assertEquals(200, status);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4), "status taken at once");
    }

    @Test
    void aReceiverThatNeverAnswersHoldsTheAttemptOnlyUntilItsDeadline() {
        receiver.createContext(
                "/silent",
                exchange -> {
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        long start = System.nanoTime();
        assertThrows(
                TimeoutException.class,
                () ->
                        transport.post(
                                url("/silent"),
                                InetAddress.getLoopbackAddress(),
                                Map.of(),
                                new byte[] {'{', '}'},
                                Duration.ofSeconds(1)));
        long took = System.nanoTime() - start;
        assertTrue(took < TimeUnit.MILLISECONDS.toNanos(2500), "gave up after " + took / 1e6);
    }
}
