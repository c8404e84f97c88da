package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One scored document in a result list.
 *
 * @param index position of the document in the request
 * @param relevanceScore higher is more relevant
 * @param document the document text, only when the request asked for it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RankedDocument(
        int index, @JsonProperty("relevance_score") double relevanceScore, DocumentText document) {

    /** The {@code {"text": ...}} shape that Cohere, Jina and vLLM clients read. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DocumentText(String text, String id) {}
}
