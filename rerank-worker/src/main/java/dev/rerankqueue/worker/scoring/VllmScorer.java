package dev.rerankqueue.worker.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.TruncationDirection;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.worker.config.WorkerConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.ext.web.client.WebClient;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Scores pairs with a co-located vLLM serving a cross-encoder reranker (Qwen3-Reranker), over
 * Vert.x's non-blocking HTTP client. In {@code score} mode the pairs of many jobs go to vLLM in one
 * {@code /score} call (text_1[i] is paired with text_2[i]); in {@code rerank} mode each query's
 * pairs go in one {@code /rerank} call. Pairs are wrapped in the Qwen3-Reranker prompt template
 * with the job's instruction. Calls time out, failures open a circuit breaker, and readiness
 * follows vLLM's {@code /health}.
 */
public class VllmScorer implements Scorer, AutoCloseable {

    static final String PREFIX =
            "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and "
                    + "the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n";
    static final String SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

    private static final Logger LOG = Logger.getLogger(VllmScorer.class);

    private final WorkerConfig.Vllm config;
    private final WebClient client;

    /**
     * Vert.x's core client for scoring calls: unlike the web client, a request it sent can be
     * reset.
     */
    private final HttpClient http;

    private final String host;
    private final int port;
    private final boolean ssl;
    private final URI base;
    private final Vertx vertx;
    private final long healthTimer;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong openUntil = new AtomicLong();
    private volatile boolean healthy;

    /**
     * The model's context in tokens: configured, or as vLLM's /v1/models reports it; 0 while
     * unknown.
     */
    private volatile int maxModelLen;

    public VllmScorer(WorkerConfig.Vllm config, Vertx vertx) {
        this.config = config;
        this.vertx = vertx;
        this.base = URI.create(config.url());
        this.client =
                WebClient.create(
                        vertx,
                        new WebClientOptions()
                                .setDefaultHost(base.getHost())
                                .setDefaultPort(
                                        base.getPort() > 0
                                                ? base.getPort()
                                                : "https".equals(base.getScheme()) ? 443 : 80)
                                .setSsl("https".equals(base.getScheme()))
                                .setMaxPoolSize(Math.max(8, config.inFlight() * 2))
                                .setKeepAlive(true));
        this.host = base.getHost();
        this.ssl = "https".equals(base.getScheme());
        this.port = base.getPort() > 0 ? base.getPort() : ssl ? 443 : 80;
        this.http =
                vertx.getDelegate()
                        .createHttpClient(
                                new HttpClientOptions().setSsl(ssl).setKeepAlive(true),
                                new PoolOptions()
                                        .setHttp1MaxSize(Math.max(8, config.inFlight() * 2)));
        this.maxModelLen = config.maxModelLen().orElse(0);
        this.healthTimer =
                vertx.setPeriodic(0, config.healthInterval().toMillis(), t -> checkHealth());
    }

    /** The query side of a pair in Qwen3-Reranker's template. */
    static String queryText(String instruction, String query) {
        return PREFIX + "<Instruct>: " + instruction + "\n<Query>: " + query + "\n";
    }

    /** The document side of a pair in Qwen3-Reranker's template. */
    static String documentText(String document) {
        return "<Document>: " + document + SUFFIX;
    }

    @Override
    public String model() {
        return config.model();
    }

    /**
     * vLLM's tokenizer is not at hand: about {@code rerank.worker.scorer.vllm.chars-per-token}
     * characters a token.
     */
    @Override
    public ScorePair withDocumentTokens(ScorePair pair, int maxTokens, TruncationDirection from) {
        return pair.withDocumentChars(
                (int) Math.min(Integer.MAX_VALUE, (long) config.charsPerToken() * maxTokens), from);
    }

    /** Chunks of about {@code rerank.worker.scorer.vllm.chars-per-token} characters a token. */
    @Override
    public List<String> chunks(ScorePair pair, int tokens, int overlap) {
        int cpt = config.charsPerToken();
        return ScorePair.chunksOfChars(pair.document(), cpt * tokens, cpt * overlap);
    }

    /**
     * The template, the instruction and the query, at the same estimate as {@link #fitToContext}.
     */
    @Override
    public int tokensBesideDocument(ScorePair pair) {
        int cpt = config.charsPerToken();
        return (charsBesideDocument(pair) + cpt - 1) / cpt;
    }

    /** The model's {@code max_model_len} once read from the server, else not known. */
    @Override
    public int contextTokens() {
        return maxModelLen > 0 ? maxModelLen : Integer.MAX_VALUE;
    }

    /**
     * vLLM answers a score with the model's sigmoid (a probability): the raw score is its logit,
     * {@code ln(p / (1 - p))}, with {@code p} kept within 1e-7 of 0 and 1 so it stays finite.
     */
    @Override
    public double rawScore(double score) {
        double p = Math.min(1 - 1e-7, Math.max(1e-7, score));
        return Math.log(p / (1 - p));
    }

    @Override
    public boolean isReady() {
        return healthy && openUntil.get() <= System.currentTimeMillis();
    }

    @Override
    public int preferredInFlight() {
        return config.inFlight();
    }

    private void checkHealth() {
        client.get(path("/health"))
                .timeout(2_000)
                .send()
                .subscribe()
                .with(
                        r -> {
                            boolean was = healthy;
                            healthy = r.statusCode() == 200;
                            if (was != healthy) {
                                LOG.infof(
                                        "vLLM at %s is %s",
                                        config.url(),
                                        healthy ? "healthy" : "unhealthy (" + r.statusCode() + ")");
                            }
                            if (healthy && maxModelLen == 0) {
                                learnMaxModelLen();
                            }
                        },
                        e -> {
                            if (healthy) {
                                LOG.warnf(
                                        "vLLM at %s is unreachable: %s",
                                        config.url(), e.toString());
                            }
                            healthy = false;
                        });
    }

    /** Reads the served model's context from vLLM's /v1/models ({@code max_model_len}), once. */
    private void learnMaxModelLen() {
        client.get(path("/v1/models"))
                .timeout(2_000)
                .send()
                .subscribe()
                .with(
                        r -> {
                            if (r.statusCode() != 200) {
                                return;
                            }
                            try {
                                for (JsonNode m :
                                        JobCodec.mapper()
                                                .readTree(r.body().getBytes())
                                                .path("data")) {
                                    int len = m.path("max_model_len").asInt(0);
                                    if (len > 0
                                            && (config.model().equals(m.path("id").asText())
                                                    || maxModelLen == 0)) {
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
                        },
                        e -> LOG.debugf("vLLM's /v1/models did not answer: %s", e.toString()));
    }

    /**
     * The model's context in tokens, 0 while unknown (then nothing is cut, and vLLM refuses what is
     * too long).
     */
    public int maxModelLen() {
        return maxModelLen;
    }

    /**
     * Characters the Qwen3-Reranker template adds around a pair's instruction, query and document.
     */
    private static final int TEMPLATE_CHARS =
            queryText("", "").length() + documentText("").length();

    /**
     * The pairs to send: each pair whose estimated prompt (template, instruction, query, document)
     * exceeds the model's context has its document cut to fit, and is marked in {@code truncated}.
     * A pair whose query alone fills the context is sent whole, for vLLM to refuse.
     */
    List<ScorePair> fitToContext(List<ScorePair> pairs, boolean[] truncated) {
        int limit = maxModelLen;
        if (limit <= 0) {
            return pairs;
        }
        int cpt = config.charsPerToken();
        List<ScorePair> out = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            ScorePair p = pairs.get(i);
            int fixed = tokensBesideDocument(p);
            int docTokens = (p.document().length() + cpt - 1) / cpt;
            if (fixed + docTokens > limit && fixed < limit) {
                out.add(p.withDocumentChars((limit - fixed) * cpt));
                truncated[i] = true;
            } else {
                out.add(p);
            }
        }
        return out;
    }

    private int charsBesideDocument(ScorePair p) {
        return p.query().length()
                + (config.qwen3Template() ? TEMPLATE_CHARS + instructionOf(p).length() : 0);
    }

    private String path(String p) {
        String prefix = base.getPath() == null ? "" : base.getPath().replaceAll("/+$", "");
        return prefix + p;
    }

    @Override
    public Uni<Scores> score(List<ScorePair> pairs) {
        return score(pairs, Priority.INTERACTIVE);
    }

    @Override
    public Uni<Scores> score(List<ScorePair> pairs, Priority lane) {
        long now = System.currentTimeMillis();
        long until = openUntil.get();
        if (until > now) {
            return Uni.createFrom()
                    .failure(
                            new ScorerException(
                                    "vLLM circuit breaker open for another "
                                            + (until - now)
                                            + " ms after "
                                            + config.breakerFailures()
                                            + " failed calls",
                                    true,
                                    null));
        }
        // vLLM started with --scheduling-policy priority serves lower values first; without it, any
        // value but 0 is refused
        Integer priority = config.priorityScheduling() ? (lane == Priority.BATCH ? 1 : 0) : null;
        boolean[] truncated = new boolean[pairs.size()];
        List<ScorePair> sent = fitToContext(pairs, truncated);
        Uni<Scores> call =
                call(sent, priority)
                        .onFailure(e -> sent.size() == 1 && ScorerException.inputRefused(e))
                        .recoverWithUni(
                                e -> {
                                    // the estimate let through a pair vLLM counts as over its
                                    // context: cut by vLLM's own count, once
                                    ScorePair cut = recut(sent.get(0), e);
                                    if (cut == null) {
                                        return Uni.createFrom().failure(e);
                                    }
                                    truncated[0] = true;
                                    return call(List.of(cut), priority);
                                })
                        .map(s -> new Scores(s.values(), s.tokens(), truncated));
        return call.invoke(s -> consecutiveFailures.set(0)).onFailure().invoke(this::recordFailure);
    }

    private Uni<Scores> call(List<ScorePair> pairs, Integer priority) {
        return config.api() == WorkerConfig.VllmApi.RERANK
                ? rerankCalls(pairs, priority)
                : scoreCall(pairs, priority);
    }

    /**
     * vLLM's refusal of a prompt over the model's context, with the context and the tokens the
     * prompt had.
     */
    private static final Pattern OVER_CONTEXT =
            Pattern.compile(
                    "maximum context length is (\\d+) tokens\\. However, you requested (\\d+) tokens");

    /**
     * The pair cut so that vLLM, by the token count its refusal {@code e} gave, takes it; {@code
     * null} when {@code e} is no such refusal or the document cannot be cut enough.
     */
    static ScorePair recut(ScorePair pair, Throwable e) {
        if (!ScorerException.inputRefused(e) || e.getMessage() == null) {
            return null;
        }
        Matcher m = OVER_CONTEXT.matcher(e.getMessage());
        if (!m.find()) {
            return null;
        }
        long limit = Long.parseLong(m.group(1));
        long requested = Long.parseLong(m.group(2));
        int doc = pair.document().length();
        // tokens per character of the document, as if all the excess were the document's; 5 % spare
        // for the estimate
        double keep =
                (double) doc
                        * (limit * 0.95 - (requested - estimatedDocTokens(pair, requested)))
                        / estimatedDocTokens(pair, requested);
        if (requested <= limit || keep < 1 || keep >= doc) {
            return null;
        }
        return pair.withDocumentChars((int) keep);
    }

    /** The share of a prompt's {@code tokens} that its document makes up, by characters. */
    private static double estimatedDocTokens(ScorePair pair, long tokens) {
        double chars =
                pair.query().length()
                        + pair.document().length()
                        + (pair.instruction() == null ? 0 : pair.instruction().length())
                        + PREFIX.length()
                        + SUFFIX.length();
        return tokens * pair.document().length() / chars;
    }

    private void recordFailure(Throwable e) {
        if (e instanceof ScorerException s && !s.retryable()) {
            return;
        }
        if (consecutiveFailures.incrementAndGet() >= config.breakerFailures()) {
            openUntil.set(System.currentTimeMillis() + config.breakerOpen().toMillis());
            consecutiveFailures.set(0);
            LOG.warnf(
                    "vLLM circuit breaker opened for %s after repeated failures (last: %s)",
                    config.breakerOpen(), e.toString());
        }
    }

    private String instructionOf(ScorePair p) {
        return p.instruction() == null || p.instruction().isBlank()
                ? config.instruction()
                : p.instruction();
    }

    private Uni<Scores> scoreCall(List<ScorePair> pairs, Integer priority) {
        ObjectNode body = JobCodec.mapper().createObjectNode();
        body.put("model", config.model());
        if (priority != null) {
            body.put("priority", priority);
        }
        ArrayNode t1 = body.putArray("text_1");
        ArrayNode t2 = body.putArray("text_2");
        for (ScorePair p : pairs) {
            t1.add(config.qwen3Template() ? queryText(instructionOf(p), p.query()) : p.query());
            t2.add(config.qwen3Template() ? documentText(p.document()) : p.document());
        }
        return post("/score", body)
                .map(
                        json -> {
                            double[] values = new double[pairs.size()];
                            JsonNode data = json.get("data");
                            if (data == null || data.size() != pairs.size()) {
                                throw new ScorerException(
                                        "vLLM /score answered "
                                                + (data == null
                                                        ? "no data"
                                                        : data.size() + " scores")
                                                + " for "
                                                + pairs.size()
                                                + " pairs",
                                        false,
                                        null);
                            }
                            for (JsonNode d : data) {
                                values[d.get("index").asInt()] = d.get("score").asDouble();
                            }
                            return new Scores(
                                    values,
                                    spreadTokens(
                                            pairs,
                                            json.path("usage").path("prompt_tokens").asLong(0)));
                        });
    }

    /**
     * One /rerank call per (instruction, query): the simple mode, as a per-request proxy would call
     * vLLM.
     */
    private Uni<Scores> rerankCalls(List<ScorePair> pairs, Integer priority) {
        Map<List<String>, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < pairs.size(); i++) {
            ScorePair p = pairs.get(i);
            groups.computeIfAbsent(List.of(instructionOf(p), p.query()), k -> new ArrayList<>())
                    .add(i);
        }
        double[] values = new double[pairs.size()];
        int[] tokens = new int[pairs.size()];
        List<Uni<Void>> calls = new ArrayList<>();
        for (Map.Entry<List<String>, List<Integer>> g : groups.entrySet()) {
            ObjectNode body = JobCodec.mapper().createObjectNode();
            body.put("model", config.model());
            if (priority != null) {
                body.put("priority", priority);
            }
            body.put(
                    "query",
                    config.qwen3Template()
                            ? queryText(g.getKey().get(0), g.getKey().get(1))
                            : g.getKey().get(1));
            ArrayNode docs = body.putArray("documents");
            List<ScorePair> members = new ArrayList<>();
            for (int i : g.getValue()) {
                docs.add(
                        config.qwen3Template()
                                ? documentText(pairs.get(i).document())
                                : pairs.get(i).document());
                members.add(pairs.get(i));
            }
            calls.add(
                    post("/rerank", body)
                            .invoke(
                                    json -> {
                                        for (JsonNode r : json.get("results")) {
                                            values[g.getValue().get(r.get("index").asInt())] =
                                                    r.get("relevance_score").asDouble();
                                        }
                                        int[] spread =
                                                spreadTokens(
                                                        members,
                                                        json.path("usage")
                                                                .path("total_tokens")
                                                                .asLong(0));
                                        for (int k = 0; k < spread.length; k++) {
                                            tokens[g.getValue().get(k)] = spread[k];
                                        }
                                    })
                            .replaceWithVoid());
        }
        return Uni.join().all(calls).andFailFast().replaceWith(() -> new Scores(values, tokens));
    }

    /** vLLM reports tokens per call; each pair gets a share in proportion to its length. */
    private static int[] spreadTokens(List<ScorePair> pairs, long total) {
        int[] out = new int[pairs.size()];
        long chars = 0;
        for (ScorePair p : pairs) {
            chars += p.query().length() + p.document().length();
        }
        for (int i = 0; i < out.length; i++) {
            ScorePair p = pairs.get(i);
            out[i] =
                    chars == 0
                            ? 0
                            : (int)
                                    Math.round(
                                            (double) total
                                                    * (p.query().length() + p.document().length())
                                                    / chars);
        }
        return out;
    }

    private Uni<JsonNode> post(String p, ObjectNode body) {
        return exchange(p, JobCodec.toJsonBytes(body))
                .ifNoItem()
                .after(config.timeout())
                .fail()
                // the cause names vLLM's address: logged here, kept out of the message that reaches
                // a job's error
                .onFailure()
                .transform(
                        e -> {
                            LOG.debugf("vLLM %s%s failed: %s", config.url(), p, e.toString());
                            return new ScorerException(
                                    "the model server did not answer "
                                            + p
                                            + " ("
                                            + e.getClass().getSimpleName()
                                            + ")",
                                    true,
                                    e);
                        })
                .map(this::parse);
    }

    /** vLLM's answer: status and body. */
    private record Reply(int status, Buffer body) {
        String text() {
            return body == null ? "" : body.toString();
        }
    }

    /**
     * One POST to vLLM. A caller that goes away before the answer (the call's jobs were cancelled,
     * or its deadline passed) resets the request, which closes its connection: vLLM then aborts the
     * request, and what it had not yet put in a forward pass is never run.
     */
    private Uni<Reply> exchange(String p, byte[] json) {
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
                            http.request(
                                            new RequestOptions()
                                                    .setMethod(HttpMethod.POST)
                                                    .setHost(host)
                                                    .setPort(port)
                                                    .setSsl(ssl)
                                                    .setURI(path(p))
                                                    .putHeader("content-type", "application/json"))
                                    .compose(
                                            request -> {
                                                sent.set(request);
                                                if (over.get()) {
                                                    request.reset();
                                                    return Future.failedFuture(
                                                            "cancelled before it was sent");
                                                }
                                                return request.send(Buffer.buffer(json));
                                            })
                                    .compose(
                                            response ->
                                                    response.body()
                                                            .map(
                                                                    b ->
                                                                            new Reply(
                                                                                    response
                                                                                            .statusCode(),
                                                                                    b)))
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
                        });
    }

    private JsonNode parse(Reply r) {
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

    @Override
    public void close() {
        vertx.cancelTimer(healthTimer);
        client.close();
        http.close();
    }

    /** For readiness details. */
    public JsonObject state() {
        return new JsonObject()
                .put("url", config.url())
                .put("healthy", healthy)
                .put("breakerOpenUntil", openUntil.get());
    }
}
