package dev.rerankqueue.bench.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.messaging.JobCodec;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * <b>An emulator of vLLM</b>, not vLLM: a test and benchmark fixture that speaks vLLM's HTTP API
 * for a reranker ({@code /score}, {@code /rerank}, {@code /v1/rerank}, {@code /v2/rerank}, {@code
 * /health}, {@code /v1/models}, {@code /metrics}) and charges every forward pass the GPU time that
 * Qwen3-Reranker-0.6B takes on one H100 ({@link CostModel}), scheduled like vLLM ({@link
 * GpuEngine}). Scores are lexical ({@link LexicalRelevance}), so rankings are meaningful and
 * deterministic. It lets the whole pipeline be load-tested against "an H100 running
 * Qwen3-Reranker-0.6B" on a machine without a GPU.
 */
public final class VllmEmulator implements AutoCloseable {

    /**
     * Tokens the Qwen3-Reranker prompt template adds around a (query, document) pair in {@code
     * /rerank}.
     */
    static final int TEMPLATE_TOKENS = 70;

    private final EmulatorSettings settings;
    private final Vertx vertx;
    private final GpuEngine gpu;
    private final HttpServer server;
    private final long started = System.nanoTime();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong abortedRequests = new AtomicLong();

    /**
     * Pairs whose scores reached a client still connected: {@code pairs} less this is the model
     * work lost with callers that went away (a worker killed while its call was on the GPU).
     */
    private final AtomicLong deliveredPairs = new AtomicLong();

    private volatile PairLedger ledger;

    private volatile Faults faults;

    private VllmEmulator(EmulatorSettings settings) {
        this.settings = settings;
        this.faults = settings.faults();
        this.vertx = Vertx.vertx();
        this.gpu =
                new GpuEngine(
                        CostModel.H100_QWEN3_RERANKER_0_6B,
                        settings.maxNumSeqs(),
                        settings.maxNumBatchedTokens(),
                        settings.timeScale());
        this.server =
                vertx.createHttpServer(
                        new HttpServerOptions()
                                .setHost(settings.host())
                                .setPort(settings.port())
                                .setMaxFormAttributeSize(-1));
        server.requestHandler(this::handle);
    }

    public static VllmEmulator start(EmulatorSettings settings) throws Exception {
        VllmEmulator e = new VllmEmulator(settings);
        e.server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return e;
    }

    public int port() {
        return server.actualPort();
    }

    public GpuEngine gpu() {
        return gpu;
    }

    /**
     * Makes the emulated GPU {@code scale} times slower than calibrated from its next forward pass
     * on (tests).
     */
    public void timeScale(double scale) {
        gpu.timeScale(scale);
    }

    public void faults(Faults f) {
        this.faults = f;
    }

    private void handle(HttpServerRequest req) {
        String path = req.path();
        switch (path) {
            case "/health" -> req.response().setStatusCode(200).end();
            case "/v1/models" ->
                    VllmBodies.json(
                            req, 200, VllmBodies.models(settings.model(), settings.maxModelLen()));
            case "/metrics" ->
                    req.response()
                            .putHeader("content-type", "text/plain; version=0.0.4")
                            .end(metrics());
            case "/emulator/stats" -> VllmBodies.json(req, 200, stats());
            case "/emulator/last-request", "/emulator/faults" -> {
                if (settings.debugEndpoints()) {
                    debug(req, path);
                } else {
                    VllmBodies.error(
                            req,
                            404,
                            "NotFoundError",
                            "no route "
                                    + path
                                    + " (test endpoints are off; start with --debug-endpoints true)");
                }
            }
            case "/score", "/v1/score" -> req.body().onSuccess(b -> score(req, b, true));
            case "/rerank", "/v1/rerank", "/v2/rerank" ->
                    req.body().onSuccess(b -> score(req, b, false));
            default -> VllmBodies.error(req, 404, "NotFoundError", "no route " + path);
        }
    }

    private void debug(HttpServerRequest req, String path) {
        switch (path) {
            case "/emulator/last-request" ->
                    VllmBodies.json(
                            req,
                            200,
                            lastRequest == null
                                    ? JobCodec.mapper().createObjectNode()
                                    : lastRequest);
            default ->
                    req.body()
                            .onSuccess(
                                    b -> {
                                        faults =
                                                JobCodec.fromJson(b.toString(), FaultsBody.class)
                                                        .toFaults();
                                        VllmBodies.json(req, 200, stats());
                                    });
        }
    }

    /** JSON shape of {@code POST /emulator/faults}. */
    record FaultsBody(
            Double error_rate, Double spike_rate, Long spike_ms, Boolean hang, Boolean crash) {
        Faults toFaults() {
            if (Boolean.TRUE.equals(crash)) {
                Runtime.getRuntime().halt(1);
            }
            return new Faults(
                    error_rate == null ? 0 : error_rate,
                    spike_rate == null ? 0 : spike_rate,
                    spike_ms == null ? 0 : spike_ms,
                    Boolean.TRUE.equals(hang));
        }
    }

    /**
     * The body of the last /score or /rerank call, for tests that check what a client sent (GET
     * /emulator/last-request).
     */
    private volatile JsonNode lastRequest;

    private void score(HttpServerRequest req, Buffer body, boolean scoreApi) {
        requests.incrementAndGet();
        Faults f = faults;
        if (f.hang()) {
            return;
        }
        if (f.errorRate() > 0 && ThreadLocalRandom.current().nextDouble() < f.errorRate()) {
            failures.incrementAndGet();
            VllmBodies.error(req, 500, "InternalServerError", "emulated failure");
            return;
        }
        List<String> queries = new ArrayList<>();
        List<String> docs = new ArrayList<>();
        JsonNode in;
        int priority;
        try {
            in = JobCodec.mapper().readTree(body.getBytes());
            if (settings.debugEndpoints()) {
                lastRequest = in;
            }
            priority = in.path("priority").asInt(0);
            if (priority != 0 && !settings.priorityScheduling()) {
                throw new IllegalArgumentException(
                        "Got priority " + priority + " but Priority scheduling is not enabled.");
            }
            if (scoreApi) {
                VllmBodies.pairs(in.get("text_1"), in.get("text_2"), queries, docs);
            } else {
                String query = in.path("query").asText(null);
                JsonNode documents = in.get("documents");
                if (query == null
                        || documents == null
                        || !documents.isArray()
                        || documents.isEmpty()) {
                    throw new IllegalArgumentException("query and documents are required");
                }
                for (JsonNode d : documents) {
                    queries.add(query);
                    docs.add(d.isTextual() ? d.asText() : d.path("text").asText());
                }
            }
        } catch (Exception e) {
            VllmBodies.error(req, 400, "BadRequestError", e.getMessage());
            return;
        }
        int[] tokens = new int[queries.size()];
        long total = 0;
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] =
                    EmulatedTokenizer.count(queries.get(i))
                            + EmulatedTokenizer.count(docs.get(i))
                            + (scoreApi ? 0 : TEMPLATE_TOKENS);
            if (tokens[i] > settings.maxModelLen()) {
                // vLLM's own refusal of a prompt over --max-model-len: 400, the whole request, in
                // these words
                refused.incrementAndGet();
                VllmBodies.error(
                        req,
                        400,
                        "BadRequestError",
                        "This model's maximum context length is "
                                + settings.maxModelLen()
                                + " tokens. However, you requested "
                                + tokens[i]
                                + " tokens in the input for score. "
                                + "Please reduce the length of the input.");
                return;
            }
            total += tokens[i];
        }
        long promptTotal = total;
        promptTokens.addAndGet(total);
        GpuEngine.Submitted submitted = gpu.submitAbortable(tokens, priority);
        // vLLM aborts a request whose client went away: what has not reached a forward pass yet is
        // never run
        req.response()
                .closeHandler(
                        v -> {
                            if (!submitted.done().isDone()) {
                                abortedRequests.incrementAndGet();
                                submitted.abort().run();
                            }
                        });
        submitted
                .done()
                .thenRun(
                        () -> {
                            PairLedger kept = ledger;
                            if (kept != null) {
                                kept.scored(queries, docs, System.currentTimeMillis());
                            }
                            Runnable answer =
                                    () -> {
                                        if (req.response().closed()) {
                                            return;
                                        }
                                        deliveredPairs.addAndGet(tokens.length);
                                        VllmBodies.json(
                                                req,
                                                200,
                                                scoreApi
                                                        ? VllmBodies.scoreResponse(
                                                                settings.model(),
                                                                in,
                                                                queries,
                                                                docs,
                                                                promptTotal)
                                                        : VllmBodies.rerankResponse(
                                                                settings.model(),
                                                                in,
                                                                queries,
                                                                docs,
                                                                promptTotal));
                                    };
                            if (f.spikeRate() > 0
                                    && ThreadLocalRandom.current().nextDouble() < f.spikeRate()) {
                                vertx.setTimer(Math.max(1, f.spikeMs()), t -> answer.run());
                            } else {
                                answer.run();
                            }
                        });
    }

    /**
     * From now on, notes when each (query, document) pair comes out of a forward pass, for {@link
     * #pairsScoredAgain()}: for a test in this JVM (it keeps every pair).
     */
    public void keepPairLedger() {
        ledger = new PairLedger();
    }

    /**
     * For each pair the model scored more than once since {@link #keepPairLedger()}: the times
     * (epoch ms, in order) its forward passes ended.
     */
    public List<List<Long>> pairsScoredAgain() {
        PairLedger kept = ledger;
        return kept == null ? List.of() : kept.repeated();
    }

    /**
     * What it counted so far, as {@code GET /emulator/stats} answers: pairs, tokens, calls,
     * failures; for a caller in the same JVM.
     */
    public ObjectNode stats() {
        double uptime = (System.nanoTime() - started) / 1e9;
        ObjectNode out = JobCodec.mapper().createObjectNode();
        out.put("emulator", true);
        out.put("uptime_seconds", uptime);
        out.put("gpu_busy_seconds", gpu.busySeconds());
        out.put("forward_passes", gpu.steps());
        out.put("pairs", gpu.sequences());
        out.put("aborted_requests", abortedRequests.get());
        out.put("aborted_pairs", gpu.aborted());
        out.put("delivered_pairs", deliveredPairs.get());
        out.put("tokens", gpu.tokens());
        out.put("requests", requests.get());
        out.put("failed_requests", failures.get());
        out.put("refused_requests", refused.get());
        out.put("waiting", gpu.waiting());
        out.put("running", gpu.running());
        Faults f = faults;
        out.putObject("faults")
                .put("error_rate", f.errorRate())
                .put("spike_rate", f.spikeRate())
                .put("spike_ms", f.spikeMs())
                .put("hang", f.hang());
        return out;
    }

    private String metrics() {
        String label = "{model_name=\"" + settings.model() + "\"}";
        return String.format(
                Locale.ROOT,
                """
                # HELP vllm:num_requests_running Sequences in the current forward pass (emulated).
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running%s %d
                # HELP vllm:num_requests_waiting Sequences waiting for a forward pass (emulated).
                # TYPE vllm:num_requests_waiting gauge
                vllm:num_requests_waiting%s %d
                # HELP vllm:prompt_tokens_total Prompt tokens accepted (emulated).
                # TYPE vllm:prompt_tokens_total counter
                vllm:prompt_tokens_total%s %d
                # HELP emulator_gpu_busy_seconds_total Simulated GPU time spent in forward passes.
                # TYPE emulator_gpu_busy_seconds_total counter
                emulator_gpu_busy_seconds_total %.6f
                # HELP emulator_pairs_total Pairs scored.
                # TYPE emulator_pairs_total counter
                emulator_pairs_total %d
                # HELP emulator_forward_passes_total Forward passes run.
                # TYPE emulator_forward_passes_total counter
                emulator_forward_passes_total %d
                """,
                label,
                gpu.running(),
                label,
                gpu.waiting(),
                label,
                promptTokens.get(),
                gpu.busySeconds(),
                gpu.sequences(),
                gpu.steps());
    }

    @Override
    public void close() {
        gpu.close();
        vertx.close()
                .toCompletionStage()
                .toCompletableFuture()
                .orTimeout(10, TimeUnit.SECONDS)
                .join();
    }
}
