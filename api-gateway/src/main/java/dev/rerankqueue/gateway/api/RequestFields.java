package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.gateway.api.dropin.RankFields;
import dev.rerankqueue.gateway.config.Limits;
import dev.rerankqueue.job.Chunking;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.job.Violation;
import dev.rerankqueue.messaging.JobCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fields a rerank request may carry, and what each route does with one it does not know,
 * following the upstream API it imitates: our job API and Cohere v2 ({@code /v2/rerank}) refuse it
 * with 422, as Cohere does, so that a misspelt {@code top_n} never silently returns every document;
 * the routes vLLM, Jina and TEI clients call ({@code /v1/rerank}, {@code /rerank}) ignore it, as
 * those servers do, and say so in the answer's {@code meta.warnings}.
 */
public final class RequestFields {

    /** Cohere's chunking parameter: documents are scored in up to this many chunks each. */
    public static final String MAX_CHUNKS_PER_DOC = "max_chunks_per_doc";

    /** Fields that change the result. */
    public static final Set<String> USED =
            Set.of(
                    "model",
                    "query",
                    "documents",
                    "top_n",
                    "return_documents",
                    "instruction",
                    "priority",
                    "deadline_ms",
                    "truncate",
                    "max_tokens_per_doc",
                    "metadata",
                    "truncate_prompt_tokens",
                    "truncation_direction",
                    "raw_scores",
                    "webhook",
                    RankFields.FIELD,
                    "chunking",
                    MAX_CHUNKS_PER_DOC);

    private RequestFields() {}

    public static List<String> unknown(JsonNode request) {
        List<String> unknown = new ArrayList<>();
        if (request != null && request.isObject()) {
            request.fieldNames()
                    .forEachRemaining(
                            f -> {
                                if (!USED.contains(f)) {
                                    unknown.add(f);
                                }
                            });
        }
        return unknown;
    }

    /** Throws a 422 naming every unknown field and the known ones. */
    public static void refuseUnknown(JsonNode request) {
        List<String> unknown = unknown(request);
        if (!unknown.isEmpty()) {
            Set<String> known = new TreeSet<>(USED);
            throw new InvalidRequestException(
                    unknown.stream()
                            .map(
                                    f ->
                                            new Violation(
                                                    f,
                                                    "is not a field of a rerank request (known: "
                                                            + String.join(", ", known)
                                                            + ")"))
                            .toList());
        }
    }

    /** The request in {@code tree}, refusing (422) any field this API does not know. */
    public static RerankRequest toKnownRequest(JsonNode tree, Limits limits) {
        refuseUnknown(tree);
        return toRequest(render(tree, limits).tree());
    }

    /** {@code tree} with its object documents rendered as {@link RankFields} says, bounded. */
    public static RankFields.Rendered render(JsonNode tree, Limits limits) {
        return RankFields.render(tree, limits.toRequestLimits(), limits.maxRankFields());
    }

    /**
     * The request in {@code tree} (object documents already rendered), with Cohere's {@code
     * max_chunks_per_doc} as {@link Chunking} when the request does not say more.
     */
    public static RerankRequest toRequest(JsonNode tree) {
        RerankRequest r = JobCodec.toRequest(tree);
        JsonNode max = tree.get(MAX_CHUNKS_PER_DOC);
        if (max == null || max.isNull() || r.chunking() != null) {
            return r;
        }
        if (!max.canConvertToInt()) {
            throw new InvalidRequestException(
                    MAX_CHUNKS_PER_DOC, "must be an integer of 1 or more");
        }
        return r.withChunking(Chunking.upTo(max.intValue()));
    }

    /** What an ignoring route says about the fields it did not use. */
    public static List<String> warnings(JsonNode request) {
        List<String> warnings = new ArrayList<>();
        unknown(request).forEach(f -> warnings.add("unknown field `" + f + "` ignored"));
        return warnings;
    }
}
