package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Long documents scored in chunks instead of cut: each document is split into chunks of {@code
 * tokens} tokens overlapping by {@code overlapTokens}, every chunk is scored with the query, and
 * the document's score is its best chunk's (Cohere's {@code max_chunks_per_doc}, max over chunks).
 *
 * @param maxChunks chunks scored per document at most; the rest of a longer document is dropped and
 *     the document counted as truncated
 * @param tokens tokens of one chunk; {@code null} means what fits the model's context beside the
 *     query
 * @param overlapTokens tokens each chunk repeats from the one before; {@code null} means 0
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Chunking(
        @JsonProperty("max_chunks") Integer maxChunks,
        Integer tokens,
        @JsonProperty("overlap_tokens") Integer overlapTokens) {

    /** At most this many chunks per document, of the default size, not overlapping. */
    public static Chunking upTo(int maxChunks) {
        return new Chunking(maxChunks, null, null);
    }

    public int chunksAtMost() {
        return maxChunks == null ? 1 : maxChunks;
    }

    public int overlap() {
        return overlapTokens == null ? 0 : overlapTokens;
    }
}
