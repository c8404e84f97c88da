package dev.rerankqueue.gateway.api.dropin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.job.RerankRequest;
import java.util.List;

/**
 * The response of the sync endpoints, readable by Cohere (v1 and v2), Jina and vLLM clients alike.
 *
 * @param id the job id (pollable like any job)
 * @param results ranked documents
 * @param usage {@code total_tokens} and {@code prompt_tokens} as vLLM and Jina report them
 * @param meta {@code billed_units.search_units} as Cohere reports it (one unit per 100 documents)
 */
public record SyncRerankResponse(
        String id, String model, List<Result> results, Usage usage, Meta meta) {

    /**
     * One ranked document; {@code document} is {@code {"text", "id"}}, or the object the client
     * sent when it ranked objects by {@code rank_fields} (Cohere v1).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(
            int index, @JsonProperty("relevance_score") double relevanceScore, Object document) {}

    /**
     * Tokens as vLLM reports them (a reranker's prompt is all its tokens), and the documents cut to
     * the model's context.
     */
    public record Usage(
            @JsonProperty("total_tokens") long totalTokens,
            @JsonProperty("prompt_tokens") long promptTokens,
            @JsonProperty("truncated_documents") long truncatedDocuments,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long chunks) {}

    /**
     * Cohere's response meta: billed units, and warnings about request fields the route ignored.
     */
    public record Meta(
            @JsonProperty("billed_units") BilledUnits billedUnits,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> warnings) {}

    public record BilledUnits(@JsonProperty("search_units") long searchUnits) {}

    /**
     * @param sent each document as the client sent it when it ranked objects by {@code rank_fields}
     *     (each object is echoed as it was), else empty
     */
    static SyncRerankResponse of(
            JobState state, RerankRequest request, List<JsonNode> sent, List<String> warnings) {
        JobResult r = state.result();
        long searchUnits = Math.max(1, (request.documents().size() + 99) / 100);
        List<Result> results =
                r.results().stream()
                        .map(
                                d -> {
                                    Document scored = request.documents().get(d.index());
                                    JsonNode asSent =
                                            d.index() < sent.size() ? sent.get(d.index()) : null;
                                    Object document =
                                            !request.wantsDocuments()
                                                    ? null
                                                    : asSent != null && asSent.isObject()
                                                            ? asSent
                                                            : new RankedDocument.DocumentText(
                                                                    scored.text(), scored.id());
                                    return new Result(d.index(), d.relevanceScore(), document);
                                })
                        .toList();
        return new SyncRerankResponse(
                state.id(),
                r.model(),
                results,
                new Usage(
                        r.usage().tokens(),
                        r.usage().tokens(),
                        r.usage().truncatedDocuments(),
                        r.usage().chunks()),
                new Meta(new BilledUnits(searchUnits), warnings));
    }
}
