package dev.rerankqueue.worker.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.worker.config.WorkerConfig;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.mutiny.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The vLLM server as this worker sees it, over Vert.x's HTTP client: calls that time out and are
 * reset when their caller goes away, vLLM's answers turned into JSON or a {@link ScorerException}
 * that says whether to retry, its health polled from {@code /health}, and the served model's
 * context read once from {@code /v1/models}.
 */
final class VllmServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(VllmServer.class);

    /** Health and model reads wait this long at most. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final WorkerConfig.Vllm config;
    private final Vertx vertx;

    /** Scoring calls. */
    private final HttpClient http;

    /**
     * Health and model reads, on a pool of their own: behind scoring calls that fill the pool, a
     * probe would time out and a busy server would look unhealthy.
     */
    private final HttpClient probes;

    private final String host;
    private final int port;
    private final boolean ssl;
    private final String basePath;
    private final long healthTimer;

    /**
     * The one event-loop context every request is made on. A request made from a thread outside
     * Vert.x (a Kafka consumer's, a Mutiny timer's) gets a new context each time, while a pooled
     * connection answers on its own: the response could then end on the connection's loop before
     * the caller's loop read its body, and the answer was lost (about one call in a hundred on a
     * reused connection, each costing the call's timeout).
     */
    private final Context context;

    private volatile boolean healthy;

    /**
     * The model's context in tokens: configured, or as vLLM's /v1/models reports it; 0 while
     * unknown.
     */
    private volatile int maxModelLen;

    VllmServer(WorkerConfig.Vllm config, Vertx vertx) {
        this.config = config;
        this.vertx = vertx;
        URI base = URI.create(config.url());
        this.host = base.getHost();
        this.ssl = "https".equals(base.getScheme());
        this.port = base.getPort() > 0 ? base.getPort() : ssl ? 443 : 80;
        this.basePath = base.getPath() == null ? "" : base.getPath().replaceAll("/+$", "");
        this.http =
                vertx.getDelegate()
                        .createHttpClient(
                                new HttpClientOptions().setSsl(ssl).setKeepAlive(true),
                                new PoolOptions()
                                        .setHttp1MaxSize(Math.max(8, config.inFlight() * 2)));
        this.probes =
                vertx.getDelegate()
                        .createHttpClient(
                                new HttpClientOptions().setSsl(ssl).setKeepAlive(true),
                                new PoolOptions().setHttp1MaxSize(1));
        this.context = vertx.getDelegate().getOrCreateContext();
        this.maxModelLen = config.maxModelLen().orElse(0);
        this.healthTimer =
                vertx.setPeriodic(0, config.healthInterval().toMillis(), t -> checkHealth());
    }

    /** Whether vLLM's /health answered 200 at the last poll. */
    boolean healthy() {
        return healthy;
    }

    /**
     * The model's context in tokens, 0 while unknown (then nothing is cut, and vLLM refuses what is
     * too long).
     */
    int maxModelLen() {
        return maxModelLen;
    }

    /**
     * POSTs {@code body} to {@code path} and gives vLLM's JSON answer, or a {@link
     * ScorerException}: retryable for a timeout, a lost connection, 5xx and 429; an input refusal
     * for 400, 413 and 422 (the input is at fault, not the model); otherwise not retryable.
     */
    Uni<JsonNode> post(String path, ObjectNode body) {
        return exchange(http, HttpMethod.POST, path, JobCodec.toJsonBytes(body))
                .ifNoItem()
                .after(config.timeout())
                .fail()
                // the cause names vLLM's address: logged here, kept out of the message that reaches
                // a job's error
                .onFailure()
                .transform(
                        e -> {
                            LOG.debugf("vLLM %s%s failed: %s", config.url(), path, e.toString());
                            return new ScorerException(
                                    "the model server did not answer "
                                            + path
                                            + " ("
                                            + e.getClass().getSimpleName()
                                            + ")",
                                    true,
                                    e);
                        })
                .map(VllmServer::parse);
    }

    /** vLLM's answer: status and body. */
    private record Reply(int status, Buffer body) {
        String text() {
            return body == null ? "" : body.toString();
        }
    }

    /**
     * One request to vLLM. A caller that goes away before the answer (the call's jobs were
     * cancelled, or its deadline passed) resets the request, which closes its connection: vLLM then
     * aborts the request, and what it had not yet put in a forward pass is never run.
     */
    private Uni<Reply> exchange(HttpClient client, HttpMethod method, String path, byte[] json) {
        return Uni.createFrom()
                .emitter(
                        em -> {
                            AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
                            AtomicBoolean over = new AtomicBoolean();
                            em.onTermination(
                                    () -> {
                                        HttpClientRequest request = sent.get();
                                        if (over.compareAndSet(false, true) && request != null) {
                                            request.reset();
                                        }
                                    });
                            context.runOnContext(
                                    ignored -> send(client, method, path, json, sent, over, em));
                        });
    }

    private void send(
            HttpClient client,
            HttpMethod method,
            String path,
            byte[] json,
            AtomicReference<HttpClientRequest> sent,
            AtomicBoolean over,
            UniEmitter<? super Reply> em) {
        client.request(options(method, path))
                .compose(
                        request -> {
                            sent.set(request);
                            if (over.get()) {
                                request.reset();
                                return Future.failedFuture("cancelled before it was sent");
                            }
                            return json == null
                                    ? request.send()
                                    : request.send(Buffer.buffer(json));
                        })
                .compose(response -> response.body().map(b -> new Reply(response.statusCode(), b)))
                .onComplete(
                        done -> {
                            if (over.compareAndSet(false, true)) {
                                if (done.succeeded()) {
                                    em.complete(done.result());
                                } else {
                                    em.fail(done.cause());
                                }
                            }
                        });
    }

    private RequestOptions options(HttpMethod method, String path) {
        RequestOptions o =
                new RequestOptions()
                        .setMethod(method)
                        .setHost(host)
                        .setPort(port)
                        .setSsl(ssl)
                        .setURI(basePath + path);
        return method == HttpMethod.POST ? o.putHeader("content-type", "application/json") : o;
    }

    /** A GET of {@code path} that gives up after {@link #PROBE_TIMEOUT}. */
    private Uni<Reply> probe(String path) {
        return exchange(probes, HttpMethod.GET, path, null).ifNoItem().after(PROBE_TIMEOUT).fail();
    }

    private static JsonNode parse(Reply r) {
        if (r.status() >= 500 || r.status() == 429) {
            throw new ScorerException(
                    "the model server answered " + r.status() + ": " + errorMessage(r.text()),
                    true,
                    null);
        }
        if (r.status() == 400 || r.status() == 413 || r.status() == 422) {
            // vLLM's answer to a prompt over the model's context, among others: the input is at
            // fault, not the model
            throw ScorerException.inputRefused(
                    "the model refused the input (" + r.status() + "): " + errorMessage(r.text()));
        }
        if (r.status() != 200) {
            throw new ScorerException(
                    "the model server refused the call with "
                            + r.status()
                            + ": "
                            + errorMessage(r.text()),
                    false,
                    null);
        }
        try {
            return JobCodec.mapper().readTree(r.body().getBytes());
        } catch (IOException e) {
            throw new ScorerException("vLLM answered unreadable JSON", true, e);
        }
    }

    /**
     * The message of vLLM's error body ({@code message}, or {@code error.message} in newer
     * versions), else the body.
     */
    private static String errorMessage(String body) {
        try {
            JsonNode json = JobCodec.mapper().readTree(body);
            JsonNode message =
                    json.has("message") ? json.get("message") : json.path("error").path("message");
            if (message.isTextual()) {
                return abbreviate(message.asText());
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the body as it is
        }
        return abbreviate(body);
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    private void checkHealth() {
        probe("/health").subscribe().with(this::healthAnswered, this::healthFailed);
    }

    private void healthAnswered(Reply r) {
        boolean was = healthy;
        healthy = r.status() == 200;
        if (was != healthy) {
            LOG.infof(
                    "vLLM at %s is %s",
                    config.url(), healthy ? "healthy" : "unhealthy (" + r.status() + ")");
        }
        if (healthy && maxModelLen == 0) {
            learnMaxModelLen();
        }
    }

    private void healthFailed(Throwable e) {
        if (healthy) {
            LOG.warnf("vLLM at %s is unreachable: %s", config.url(), e.toString());
        }
        healthy = false;
    }

    /** Reads the served model's context from vLLM's /v1/models ({@code max_model_len}), once. */
    private void learnMaxModelLen() {
        probe("/v1/models")
                .subscribe()
                .with(
                        this::modelsAnswered,
                        e -> LOG.debugf("vLLM's /v1/models did not answer: %s", e.toString()));
    }

    private void modelsAnswered(Reply r) {
        if (r.status() != 200) {
            return;
        }
        try {
            for (JsonNode m : JobCodec.mapper().readTree(r.body().getBytes()).path("data")) {
                int len = m.path("max_model_len").asInt(0);
                if (len > 0 && (config.model().equals(m.path("id").asText()) || maxModelLen == 0)) {
                    maxModelLen = len;
                }
            }
            if (maxModelLen > 0) {
                LOG.infof(
                        "vLLM serves %s with a context of %d tokens; longer pairs are cut to fit",
                        config.model(), maxModelLen);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debugf("vLLM's /v1/models was unreadable: %s", e.toString());
        }
    }

    @Override
    public void close() {
        vertx.cancelTimer(healthTimer);
        http.close();
        probes.close();
    }
}
