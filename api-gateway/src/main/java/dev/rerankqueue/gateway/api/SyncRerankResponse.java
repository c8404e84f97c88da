package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
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
        String id, String model, List<RankedDocument> results, Usage usage, Meta meta) {

    /**
     * Tokens as vLLM reports them (a reranker's prompt is all its tokens), and the documents cut to
     * the model's context.
     */
    public record Usage(
            @JsonProperty("total_tokens") long totalTokens,
            @JsonProperty("prompt_tokens") long promptTokens,
            @JsonProperty("truncated_documents") long truncatedDocuments) {}

    /**
     * Cohere's response meta: billed units, and warnings about request fields the route ignored.
     */
    public record Meta(
            @JsonProperty("billed_units") BilledUnits billedUnits,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> warnings) {}

    public record BilledUnits(@JsonProperty("search_units") long searchUnits) {}

    static SyncRerankResponse of(JobState state, RerankRequest request, List<String> warnings) {
        JobResult r = state.result();
        long searchUnits = Math.max(1, (request.documents().size() + 99) / 100);
        List<RankedDocument> results =
                r.results().stream()
                        .map(
                                d -> {
                                    Document sent = request.documents().get(d.index());
                                    return new RankedDocument(
                                            d.index(),
                                            d.relevanceScore(),
                                            request.wantsDocuments()
                                                    ? new RankedDocument.DocumentText(
                                                            sent.text(), sent.id())
                                                    : null);
                                })
                        .toList();
        return new SyncRerankResponse(
                state.id(),
                r.model(),
                results,
                new Usage(r.usage().tokens(), r.usage().tokens(), r.usage().truncatedDocuments()),
                new Meta(new BilledUnits(searchUnits), warnings));
    }
}
