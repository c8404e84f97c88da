package dev.rerankqueue.gateway.api.dropin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.job.TruncationDirection;
import java.util.List;

/**
 * Hugging Face text-embeddings-inference's rerank request ({@code texts} instead of {@code
 * documents}); {@code truncate: false} fails a job with an over-long text, as TEI refuses it;
 * {@code truncation_direction} {@code "Left"} keeps a long text's end; {@code raw_scores} answers
 * the model's score before its sigmoid.
 */
public record TeiRequest(
        String query,
        List<String> texts,
        @JsonProperty("raw_scores") Boolean rawScores,
        @JsonProperty("return_text") Boolean returnText,
        Boolean truncate,
        @JsonProperty("truncation_direction") TruncationDirection truncationDirection) {

    /** One entry of TEI's response array. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Rank(int index, double score, String text) {}

    static Object response(JobState state, RerankRequest request) {
        List<RankedDocument> results = state.result().results();
        return results.stream()
                .map(
                        r ->
                                new Rank(
                                        r.index(),
                                        r.relevanceScore(),
                                        request.wantsDocuments()
                                                ? request.documents().get(r.index()).text()
                                                : null))
                .toList();
    }
}
