package dev.rerankqueue.bench.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.messaging.JobCodec;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * vLLM's {@code /score} and {@code /rerank} bodies as the emulator reads and answers them: the
 * pairs a request asks for, the answer with each pair's lexical relevance as its score, the model
 * list and errors in vLLM's shape.
 */
final class VllmBodies {

    private VllmBodies() {}

    static void pairs(JsonNode t1, JsonNode t2, List<String> queries, List<String> docs) {
        if (t1 == null || t2 == null) {
            throw new IllegalArgumentException("text_1 and text_2 are required");
        }
        List<String> a = texts(t1);
        List<String> b = texts(t2);
        if (a.size() == 1) {
            for (String d : b) {
                queries.add(a.get(0));
                docs.add(d);
            }
        } else if (a.size() == b.size()) {
            queries.addAll(a);
            docs.addAll(b);
        } else {
            throw new IllegalArgumentException("text_1 must hold one text or as many as text_2");
        }
        if (docs.isEmpty()) {
            throw new IllegalArgumentException("nothing to score");
        }
    }

    private static List<String> texts(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.asText());
        } else {
            n.forEach(x -> out.add(x.asText()));
        }
        return out;
    }

    static ObjectNode scoreResponse(
            String defaultModel,
            JsonNode in,
            List<String> queries,
            List<String> docs,
            long tokens) {
        ObjectNode out = JobCodec.mapper().createObjectNode();
        out.put("id", "score-" + UUID.randomUUID());
        out.put("object", "list");
        out.put("created", System.currentTimeMillis() / 1000);
        out.put("model", in.path("model").asText(defaultModel));
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < docs.size(); i++) {
            data.addObject()
                    .put("index", i)
                    .put("object", "score")
                    .put("score", LexicalRelevance.score(queries.get(i), docs.get(i)));
        }
        out.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return out;
    }

    static ObjectNode rerankResponse(
            String defaultModel,
            JsonNode in,
            List<String> queries,
            List<String> docs,
            long tokens) {
        List<double[]> ranked = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            ranked.add(new double[] {i, LexicalRelevance.score(queries.get(i), docs.get(i))});
        }
        ranked.sort((x, y) -> Double.compare(y[1], x[1]));
        int topN = in.path("top_n").asInt(0);
        int n = topN <= 0 ? ranked.size() : Math.min(topN, ranked.size());
        ObjectNode out = JobCodec.mapper().createObjectNode();
        out.put("id", "rerank-" + UUID.randomUUID());
        out.put("model", in.path("model").asText(defaultModel));
        out.putObject("usage").put("total_tokens", tokens);
        ArrayNode results = out.putArray("results");
        for (int i = 0; i < n; i++) {
            int index = (int) ranked.get(i)[0];
            ObjectNode r = results.addObject().put("index", index);
            r.putObject("document").put("text", docs.get(index));
            r.put("relevance_score", ranked.get(i)[1]);
        }
        return out;
    }

    /** {@code GET /v1/models}: the one model served. */
    static ObjectNode models(String model, int maxModelLen) {
        ObjectNode out = JobCodec.mapper().createObjectNode();
        out.put("object", "list");
        out.putArray("data")
                .addObject()
                .put("id", model)
                .put("object", "model")
                .put("owned_by", "vllm-emulator")
                .put("max_model_len", maxModelLen);
        return out;
    }

    static void json(HttpServerRequest req, int status, Object body) {
        req.response()
                .setStatusCode(status)
                .putHeader("content-type", "application/json")
                .end(Buffer.buffer(JobCodec.toJsonBytes(body)));
    }

    /** An error in vLLM's (OpenAI's) shape. */
    static void error(HttpServerRequest req, int status, String type, String message) {
        ObjectNode e = JobCodec.mapper().createObjectNode();
        e.put("object", "error")
                .put("message", message)
                .put("type", type)
                .putNull("param")
                .put("code", status);
        json(req, status, e);
    }
}
