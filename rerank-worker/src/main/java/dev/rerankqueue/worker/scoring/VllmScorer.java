package dev.rerankqueue.worker.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.TruncationDirection;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.prompt.Qwen3Prompt;
import dev.rerankqueue.worker.config.WorkerConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Scores pairs with a co-located vLLM serving a cross-encoder reranker (Qwen3-Reranker). In {@code
 * score} mode the pairs of many jobs go to vLLM in one {@code /score} call (text_1[i] is paired
 * with text_2[i]); in {@code rerank} mode each query's pairs go in one {@code /rerank} call. Pairs
 * are wrapped in {@link Qwen3Prompt} with the job's instruction and cut to the model's context
 * first. The calls themselves, their timeouts and vLLM's health are {@link VllmServer}'s; repeated
 * failures open a {@link CircuitBreaker}, and readiness follows both.
 */
public class VllmScorer implements Scorer, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(VllmScorer.class);

    private final WorkerConfig.Vllm config;
    private final VllmServer server;
    private final CircuitBreaker breaker;

    public VllmScorer(WorkerConfig.Vllm config, Vertx vertx) {
        this.config = config;
        this.server = new VllmServer(config, vertx);
        this.breaker = new CircuitBreaker(config.breakerFailures(), config.breakerOpen());
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
        int len = server.maxModelLen();
        return len > 0 ? len : Integer.MAX_VALUE;
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
        return server.healthy() && breaker.openFor(System.currentTimeMillis()) == 0;
    }

    @Override
    public int preferredInFlight() {
        return config.inFlight();
    }

    /**
     * The model's context in tokens, 0 while unknown (then nothing is cut, and vLLM refuses what is
     * too long).
     */
    public int maxModelLen() {
        return server.maxModelLen();
    }

    /**
     * The pairs to send: each pair whose estimated prompt (template, instruction, query, document)
     * exceeds the model's context has its document cut to fit, and is marked in {@code truncated}.
     * A pair whose query alone fills the context is sent whole, for vLLM to refuse.
     */
    List<ScorePair> fitToContext(List<ScorePair> pairs, boolean[] truncated) {
        int limit = server.maxModelLen();
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
                + (config.qwen3Template()
                        ? Qwen3Prompt.TEMPLATE_CHARS + instructionOf(p).length()
                        : 0);
    }

    @Override
    public Uni<Scores> score(List<ScorePair> pairs) {
        return score(pairs, SlotRequest.of(Priority.INTERACTIVE));
    }

    @Override
    public Uni<Scores> score(List<ScorePair> pairs, SlotRequest request) {
        long openFor = breaker.openFor(System.currentTimeMillis());
        if (openFor > 0) {
            return Uni.createFrom()
                    .failure(
                            new ScorerException(
                                    "vLLM circuit breaker open for another "
                                            + openFor
                                            + " ms after "
                                            + breaker.failures()
                                            + " failed calls",
                                    true,
                                    null));
        }
        // vLLM started with --scheduling-policy priority serves lower values first (without it, any
        // value but 0 is refused): interactive 0, batch 2, each + 1 for jobs of the overflow topic
        Integer priority =
                config.priorityScheduling()
                        ? (request.lane() == Priority.BATCH ? 2 : 0) + (request.overflow() ? 1 : 0)
                        : null;
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
        return call.invoke(breaker::succeeded).onFailure().invoke(this::recordFailure);
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
                        + Qwen3Prompt.PREFIX.length()
                        + Qwen3Prompt.SUFFIX.length();
        return tokens * pair.document().length() / chars;
    }

    private void recordFailure(Throwable e) {
        if (e instanceof ScorerException s && !s.retryable()) {
            return;
        }
        if (breaker.failed(System.currentTimeMillis())) {
            LOG.warnf(
                    "vLLM circuit breaker opened for %s after repeated failures (last: %s)",
                    breaker.open(), e.toString());
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
            t1.add(
                    config.qwen3Template()
                            ? Qwen3Prompt.queryText(instructionOf(p), p.query())
                            : p.query());
            t2.add(config.qwen3Template() ? Qwen3Prompt.documentText(p.document()) : p.document());
        }
        return server.post("/score", body)
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
                            ? Qwen3Prompt.queryText(g.getKey().get(0), g.getKey().get(1))
                            : g.getKey().get(1));
            ArrayNode docs = body.putArray("documents");
            List<ScorePair> members = new ArrayList<>();
            for (int i : g.getValue()) {
                docs.add(
                        config.qwen3Template()
                                ? Qwen3Prompt.documentText(pairs.get(i).document())
                                : pairs.get(i).document());
                members.add(pairs.get(i));
            }
            calls.add(
                    server.post("/rerank", body)
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

    @Override
    public void close() {
        server.close();
    }
}
