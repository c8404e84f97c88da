package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.admission.AcceptedJob;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.config.Limits;
import dev.rerankqueue.job.RequestValidator;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.JobCodec;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

/**
 * Runs the accept path's own work (read the body, validate it, build and encode the job, encode the
 * answer) on generated requests at start, and holds readiness until it is done: a freshly started
 * gateway otherwise answers its first burst from the interpreter, at several times the CPU a job
 * costs later ({@code bench/run.sh accept}, the cold phase). Nothing is queued, stored or counted.
 */
@ApplicationScoped
@Readiness
public class AcceptPathWarmup implements HealthCheck {

    private static final Logger LOG = Logger.getLogger(AcceptPathWarmup.class);

    private final int requests;
    private final RequestValidator validator;
    private final Limits limits;
    private volatile boolean done;

    public AcceptPathWarmup(GatewayConfig config) {
        this.requests = config.warmup().requests();
        this.validator = new RequestValidator(config.limits().toRequestLimits());
        this.limits = config.limits();
        this.done = requests <= 0;
    }

    void onStart(@Observes StartupEvent event) {
        if (!done) {
            Thread warmup = new Thread(this::run, "accept-path-warmup");
            warmup.setDaemon(true);
            warmup.start();
        }
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("accept path warm-up")
                .status(done)
                .withData("requests", requests)
                .build();
    }

    private void run() {
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
        } finally {
            done = true;
        }
    }

    /** Requests shaped like retrieval results: a question and ten passages of 700 characters. */
    private static List<byte[]> sampleBodies() {
        Random random = new Random(17);
        String[] words =
                "retrieval ranking passage query model token latency queue river capital energy market"
                        .split(" ");
        List<byte[]> out = new ArrayList<>();
        for (int b = 0; b < 16; b++) {
            List<String> documents = new ArrayList<>();
            for (int d = 0; d < 10; d++) {
                StringBuilder doc = new StringBuilder("Passage ").append(b).append('.').append(d);
                while (doc.length() < 700) {
                    doc.append(' ').append(words[random.nextInt(words.length)]);
                }
                documents.add(doc.toString());
            }
            String json =
                    JobCodec.toJson(
                            Map.of(
                                    "query",
                                    "question " + b + " about " + words[b % words.length],
                                    "documents",
                                    documents,
                                    "top_n",
                                    3));
            out.add(json.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }
}
