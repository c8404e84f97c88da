package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.admission.AcceptedJob;
import dev.rerankqueue.gateway.auth.WarmupKey;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.config.Limits;
import dev.rerankqueue.job.RequestValidator;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.JobCodec;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.vertx.http.HttpsServerStart;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

/**
 * Runs the accept path's own work (read the body, validate it, build and encode the job, encode the
 * answer) on generated requests at start, then, once the HTTP server listens, sends requests that
 * validation refuses to the gateway's own submission routes over loopback ({@link LoopbackWarmup}),
 * and holds readiness until both are done: a freshly started gateway otherwise answers its first
 * burst from the interpreter, at several times the CPU a job costs later ({@code bench/run.sh
 * accept}, the cold phase), and a flood on a fresh gateway leaves requests unanswered past the
 * second ({@code bench/run.sh flood}). Nothing is queued, stored or counted.
 */
@ApplicationScoped
@Readiness
public class AcceptPathWarmup implements HealthCheck {

    private static final Logger LOG = Logger.getLogger(AcceptPathWarmup.class);

    /** Longest wait for the HTTP server to listen. */
    private static final Duration LISTEN_WAIT = Duration.ofSeconds(60);

    private final int requests;
    private final int httpRequests;
    private final Duration httpMaxTime;
    private final RequestValidator validator;
    private final Limits limits;
    private final WarmupKey key;
    private final Vertx vertx;

    /** Where the HTTP server listens, once it does. */
    private final CompletableFuture<URI> listening = new CompletableFuture<>();

    private volatile String httpOutcome = "not run";
    private volatile boolean done;

    public AcceptPathWarmup(GatewayConfig config, WarmupKey key, Vertx vertx) {
        this.vertx = vertx;
        this.requests = config.warmup().requests();
        this.httpRequests = config.warmup().httpRequests();
        this.httpMaxTime = config.warmup().httpMaxTime();
        this.validator = new RequestValidator(config.limits().toRequestLimits());
        this.limits = config.limits();
        this.key = key;
        this.done = requests <= 0 && httpRequests <= 0;
        if (done) {
            key.retire();
        }
    }

    void onStart(@Observes StartupEvent event) {
        if (!done) {
            Thread warmup = new Thread(this::run, "accept-path-warmup");
            warmup.setDaemon(true);
            warmup.start();
        }
    }

    void onListening(@ObservesAsync HttpServerStart start) {
        String host = start.options().getHost();
        if (host == null || host.equals("0.0.0.0") || host.isBlank()) {
            host = "127.0.0.1";
        } else if (host.equals("::") || host.equals("[::]")) {
            host = "[::1]";
        }
        int port = start.options().getPort();
        listening.complete(port <= 0 ? null : URI.create("http://" + host + ":" + port));
    }

    /** A server that serves only HTTPS: the loopback warm-up (plain HTTP) is skipped. */
    void onListeningSecurely(@ObservesAsync HttpsServerStart start) {
        listening.completeOnTimeout(null, 5, TimeUnit.SECONDS);
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("accept path warm-up")
                .status(done)
                .withData("requests", requests)
                .withData("http", httpOutcome)
                .build();
    }

    private void run() {
        try {
            if (requests > 0) {
                runInProcess();
            }
            if (httpRequests > 0) {
                runOverHttp();
            }
        } finally {
            key.retire();
            done = true;
        }
    }

    /** Requests that validation refuses, sent to the gateway's own routes. */
    private void runOverHttp() {
        try {
            URI base = listening.get(LISTEN_WAIT.toSeconds(), TimeUnit.SECONDS);
            if (base == null) {
                httpOutcome = "skipped: no plain HTTP port known (random, or HTTPS only)";
                return;
            }
            LoopbackWarmup.Outcome outcome =
                    LoopbackWarmup.run(vertx, base, key.key(), httpRequests, httpMaxTime);
            httpOutcome =
                    outcome.sent()
                            + " requests answered "
                            + outcome.statuses()
                            + (outcome.sent() < httpRequests
                                    ? " (stopped at rerank.warmup.http-max-time)"
                                    : "");
            if (outcome.anyAccepted()) {
                LOG.warnf("HTTP warm-up: a request was accepted as work: %s", outcome.statuses());
            }
            LOG.infof(
                    "HTTP routes warmed up: %d requests to %s, answered %s, in %d ms",
                    outcome.sent(), base, outcome.statuses(), outcome.millis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            httpOutcome = "interrupted";
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            httpOutcome = "stopped early: " + e;
            LOG.warnf("HTTP warm-up stopped early: %s", e.toString());
        }
    }

    private void runInProcess() {
        long start = System.nanoTime();
        try {
            List<byte[]> bodies = sampleBodies();
            long bytes = 0;
            for (int i = 0; i < requests; i++) {
                RerankRequest request =
                        validator.check(
                                RequestFields.toKnownRequest(
                                        JobCodec.readTree(bodies.get(i % bodies.size())), limits));
                RerankJob job = RerankJob.accept("warm-up", request, System.currentTimeMillis());
                bytes += JobCodec.encodeJob(job).length;
                bytes +=
                        JobCodec.toJson(
                                        AcceptedView.of(
                                                new AcceptedJob(job.id(), job.createdAt(), false)))
                                .length();
            }
            LOG.infof(
                    "accept path warmed up: %d requests (%d KB encoded) in %d ms",
                    requests, bytes / 1024, (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.warnf("accept path warm-up stopped early: %s", e.toString());
        }
    }

    private static final String[] WORDS =
            "retrieval ranking passage query model token latency queue river capital energy market"
                    .split(" ");

    /** Requests shaped like retrieval results: a question and ten passages of 700 characters. */
    private static List<byte[]> sampleBodies() {
        Random random = new Random(17);
        List<byte[]> out = new ArrayList<>();
        for (int b = 0; b < 16; b++) {
            String json =
                    JobCodec.toJson(
                            Map.of(
                                    "query",
                                    "question " + b + " about " + WORDS[b % WORDS.length],
                                    "documents",
                                    passages(random, b),
                                    "top_n",
                                    3));
            out.add(json.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    private static List<String> passages(Random random, int b) {
        List<String> documents = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            StringBuilder doc = new StringBuilder("Passage ").append(b).append('.').append(d);
            while (doc.length() < 700) {
                doc.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
            }
            documents.add(doc.toString());
        }
        return documents;
    }
}
