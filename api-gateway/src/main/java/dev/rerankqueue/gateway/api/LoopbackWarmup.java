package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.api.dropin.DropInErrors;
import dev.rerankqueue.messaging.JobCodec;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The HTTP half of a starting gateway's warm-up: requests to its own submission routes over the
 * loopback address, each refused at validation (an empty query), so that the HTTP server, routing,
 * authentication, body reading and the error answers are compiled before the first flood instead of
 * during it. A cold gateway flooded on 64 connections answered 140 requests later than 1 s in 5 s
 * on two cores, one that had served invalid requests first answered 1 ({@code bench/run.sh flood},
 * docs/benchmarks.md). Nothing is queued or stored: validation refuses before any of that.
 */
final class LoopbackWarmup {

    /**
     * The routes warmed, in turn: the native submission first, then every drop-in one ({@link
     * DropInErrors#ROUTES}, the list {@link OverloadDoor} guards too), so a new route is warmed
     * with the others.
     */
    static final List<String> ROUTES =
            Stream.concat(Stream.of(JobResource.PATH), DropInErrors.ROUTES.stream().sorted())
                    .toList();

    /** Requests in flight at once. */
    private static final int CONCURRENCY = 8;

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /**
     * Longest wait for a place among the requests in flight: past the client's own timeouts, so
     * that a request the client never ends cannot hold readiness.
     */
    private static final Duration ANSWER_WAIT = TIMEOUT.multipliedBy(3);

    /** What the warm-up's requests were answered: statuses and their counts. */
    record Outcome(int sent, Map<Integer, Integer> statuses, long millis) {

        /** Whether any was taken as work (a 2xx): never, if validation refused them all. */
        boolean anyAccepted() {
            return statuses.keySet().stream().anyMatch(s -> s >= 200 && s < 300);
        }
    }

    private LoopbackWarmup() {}

    /** A request to {@code route} that validation refuses: its query is empty. */
    static byte[] body(String route, int n) {
        List<String> documents =
                List.of(
                        "Passage " + n + ": reranking orders retrieved passages by relevance.",
                        "Passage " + n + ": a queue absorbs bursts that the model drains later.");
        Map<String, Object> request =
                route.endsWith("score")
                        ? Map.of("text_1", "", "text_2", documents)
                        : Map.of("query", "", "documents", documents, "top_n", 1);
        return JobCodec.toJson(request).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Sends {@code requests} requests to {@code base}, carrying {@code key}, and waits for their
     * answers; stops early at the first request that gets none (connection refused, timeout), or
     * once {@code maxTime} has passed. The bodies are small: parsing and validating large ones is
     * warmed in process, without HTTP.
     */
    static Outcome run(Vertx vertx, URI base, String key, int requests, Duration maxTime)
            throws InterruptedException {
        long start = System.nanoTime();
        long end = start + maxTime.toNanos();
        HttpClient http =
                vertx.createHttpClient(
                        new HttpClientOptions()
                                .setDefaultHost(base.getHost())
                                .setDefaultPort(base.getPort())
                                .setConnectTimeout((int) TIMEOUT.toMillis()),
                        new PoolOptions().setHttp1MaxSize(CONCURRENCY));
        Semaphore window = new Semaphore(CONCURRENCY);
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger connected = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        int sent = 0;
        try {
            while (sent < requests && failure.get() == null && System.nanoTime() < end) {
                if (!window.tryAcquire(ANSWER_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    failure.compareAndSet(null, unanswered(sent, connected, answered));
                    break;
                }
                String route = ROUTES.get(sent % ROUTES.size());
                Buffer body = Buffer.buffer(body(route, sent));
                http.request(
                                new RequestOptions()
                                        .setMethod(HttpMethod.POST)
                                        .setURI(route)
                                        // a wait for a pooled connection ends too (no
                                        // default bound), then the wait for data
                                        .setConnectTimeout(TIMEOUT.toMillis())
                                        .setIdleTimeout(TIMEOUT.toMillis())
                                        .putHeader("Content-Type", "application/json")
                                        .putHeader("Authorization", "Bearer " + key))
                        .compose(
                                request -> {
                                    connected.incrementAndGet();
                                    return request.send(body);
                                })
                        .compose(response -> response.body().map(b -> response.statusCode()))
                        .onComplete(
                                result -> {
                                    if (result.failed()) {
                                        failure.compareAndSet(null, result.cause());
                                    } else {
                                        statuses.merge(result.result(), 1, Integer::sum);
                                    }
                                    answered.incrementAndGet();
                                    window.release();
                                });
                sent++;
            }
            if (!window.tryAcquire(CONCURRENCY, ANSWER_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                failure.compareAndSet(null, unanswered(sent, connected, answered));
            }
        } finally {
            http.close();
        }
        if (failure.get() != null) {
            throw new IllegalStateException(
                    "no answer from " + base + ": " + failure.get(), failure.get());
        }
        return new Outcome(sent, new TreeMap<>(statuses), (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * A request neither answered nor failed by the client's own timeouts within {@link
     * #ANSWER_WAIT}: says how far the requests got, for the log and the readiness data.
     */
    private static TimeoutException unanswered(
            int sent, AtomicInteger connected, AtomicInteger answered) {
        return new TimeoutException(
                "no answer in "
                        + ANSWER_WAIT
                        + " ("
                        + sent
                        + " requests begun, "
                        + connected.get()
                        + " given a connection, "
                        + answered.get()
                        + " ended)");
    }
}
