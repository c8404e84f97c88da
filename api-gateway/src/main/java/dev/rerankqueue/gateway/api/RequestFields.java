package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
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
 * following its anchor: our job API and Cohere v2 ({@code /v2/rerank}) refuse it with 422, as
 * Cohere does, so that a misspelt {@code top_n} never silently returns every document; the routes
 * vLLM, Jina and TEI clients call ({@code /v1/rerank}, {@code /rerank}) ignore it, as those servers
 * do, and say so in the answer's {@code meta.warnings}.
 */
final class RequestFields {

    /** Fields that change the result. */
    static final Set<String> USED =
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
                    RankFields.FIELD);

    /** Parameters of the anchors' APIs that are accepted and do not change the result here. */
    static final Set<String> WITHOUT_EFFECT = Set.of("max_chunks_per_doc");

    private RequestFields() {}

    static List<String> unknown(JsonNode request) {
        List<String> unknown = new ArrayList<>();
        if (request != null && request.isObject()) {
            request.fieldNames()
                    .forEachRemaining(
                            f -> {
                                if (!USED.contains(f) && !WITHOUT_EFFECT.contains(f)) {
                                    unknown.add(f);
                                }
                            });
        }
        return unknown;
    }

    /** Throws a 422 naming every unknown field and the known ones. */
    static void refuseUnknown(JsonNode request) {
        List<String> unknown = unknown(request);
        if (!unknown.isEmpty()) {
            Set<String> known = new TreeSet<>(USED);
            known.addAll(WITHOUT_EFFECT);
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
    static RerankRequest toKnownRequest(JsonNode tree) {
        refuseUnknown(tree);
        return JobCodec.toRequest(RankFields.render(tree).tree());
    }

    /** What an ignoring route says about the fields it did not use. */
    static List<String> warnings(JsonNode request) {
        List<String> warnings = new ArrayList<>();
        unknown(request).forEach(f -> warnings.add("unknown field `" + f + "` ignored"));
        if (request != null && request.isObject()) {
            request.fieldNames()
                    .forEachRemaining(
                            f -> {
                                if (WITHOUT_EFFECT.contains(f)) {
                                    warnings.add("`" + f + "` is accepted but has no effect here");
                                }
                            });
        }
        return warnings;
    }
}
