package dev.rerankqueue.gateway.api.dropin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.Priority;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * vLLM's score API ({@code POST /score}, {@code /v1/score}): pairs of texts, scored by the
 * cross-encoder and answered in input order. The two sides go by every name vLLM accepts ({@code
 * queries}/{@code documents}, {@code queries}/{@code items}, {@code text_1}/{@code text_2}, {@code
 * data_1}/{@code data_2}); one query with many documents is one-to-many, equal lists are pairwise.
 * Pairs that share a query become one job, so a one-to-many call is a single job and a pairwise
 * call one job per distinct query.
 *
 * @param model the model named, checked like any request's
 * @param pairs (query, document) in request order
 * @param priority vLLM's integer priority, as on the rerank routes
 * @param truncatePromptTokens vLLM's {@code truncate_prompt_tokens}: each pair's prompt cut to
 *     about this many tokens
 */
record ScoreRequest(
        String model, List<Pair> pairs, Priority priority, Integer truncatePromptTokens) {

    record Pair(String query, String document) {}

    static final List<String> QUERY_NAMES = List.of("queries", "text_1", "data_1");
    static final List<String> DOCUMENT_NAMES = List.of("documents", "items", "text_2", "data_2");

    static ScoreRequest from(JsonNode tree) {
        if (tree == null || !tree.isObject()) {
            throw new InvalidRequestException(
                    "body",
                    "must be a JSON object with queries and documents (or text_1 and text_2)");
        }
        List<String> queries = side(tree, QUERY_NAMES);
        List<String> documents = side(tree, DOCUMENT_NAMES);
        List<Pair> pairs = new ArrayList<>();
        if (queries.size() == 1) {
            documents.forEach(d -> pairs.add(new Pair(queries.get(0), d)));
        } else if (queries.size() == documents.size()) {
            for (int i = 0; i < queries.size(); i++) {
                pairs.add(new Pair(queries.get(i), documents.get(i)));
            }
        } else {
            throw new InvalidRequestException(
                    "queries",
                    "holds "
                            + queries.size()
                            + " texts and documents "
                            + documents.size()
                            + ": give one query for many documents, or as many queries as documents (pairwise)");
        }
        JsonNode model = tree.get("model");
        JsonNode priority = tree.get("priority");
        JsonNode promptTokens = tree.get("truncate_prompt_tokens");
        if (promptTokens != null && !promptTokens.isNull() && !promptTokens.canConvertToInt()) {
            throw new InvalidRequestException(
                    "truncate_prompt_tokens", "must be an integer: -1, or at least 1");
        }
        return new ScoreRequest(
                model != null && model.isTextual() ? model.asText() : null,
                pairs,
                priority(priority),
                promptTokens == null || promptTokens.isNull() ? null : promptTokens.intValue());
    }

    private static Priority priority(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        try {
            return Priority.fromWire(n.isNumber() ? n.numberValue() : n.asText());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("priority", e.getMessage());
        }
    }

    /**
     * The texts of one side, under the first of {@code names} present: a string, or a list of
     * strings or {text} objects.
     */
    private static List<String> side(JsonNode tree, List<String> names) {
        for (String name : names) {
            JsonNode n = tree.get(name);
            if (n == null || n.isNull()) {
                continue;
            }
            List<String> texts = new ArrayList<>();
            if (n.isTextual()) {
                texts.add(n.asText());
            } else if (n.isArray() && !n.isEmpty()) {
                for (JsonNode item : n) {
                    if (item.isTextual()) {
                        texts.add(item.asText());
                    } else if (item.isObject() && item.path("text").isTextual()) {
                        texts.add(item.get("text").asText());
                    } else {
                        throw new InvalidRequestException(
                                name,
                                "must hold strings or {\"text\": ...} objects (multimodal content is not scored here)");
                    }
                }
            } else {
                throw new InvalidRequestException(
                        name, "must be a string or a non-empty list of strings");
            }
            return texts;
        }
        throw new InvalidRequestException(
                names.get(0),
                "is required (also accepted as "
                        + String.join(", ", names.subList(1, names.size()))
                        + ")");
    }

    /** The pairs' indexes by query, in first-seen order: one job per distinct query. */
    Map<String, List<Integer>> byQuery() {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < pairs.size(); i++) {
            groups.computeIfAbsent(pairs.get(i).query(), q -> new ArrayList<>()).add(i);
        }
        return groups;
    }

    /** vLLM's score response: one entry per pair, in request order. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Response(
            String id, String object, long created, String model, List<Score> data, Usage usage) {}

    record Score(int index, String object, double score) {}

    record Usage(
            @JsonProperty("prompt_tokens") long promptTokens,
            @JsonProperty("total_tokens") long totalTokens,
            @JsonProperty("completion_tokens") long completionTokens) {}

    /** Puts the scores of each query's job back at its pairs' positions. */
    Response response(Map<String, List<Integer>> groups, List<JobState> states) {
        double[] scores = new double[pairs.size()];
        long tokens = 0;
        String served = null;
        int g = 0;
        for (List<Integer> positions : groups.values()) {
            JobState state = states.get(g++);
            state.result()
                    .results()
                    .forEach(r -> scores[positions.get(r.index())] = r.relevanceScore());
            tokens += state.result().usage().tokens();
            served = state.result().model();
        }
        List<Score> data = new ArrayList<>(scores.length);
        for (int i = 0; i < scores.length; i++) {
            data.add(new Score(i, "score", scores[i]));
        }
        return new Response(
                "score-" + states.get(0).id(),
                "list",
                System.currentTimeMillis() / 1000,
                served,
                data,
                new Usage(tokens, tokens, 0));
    }
}
