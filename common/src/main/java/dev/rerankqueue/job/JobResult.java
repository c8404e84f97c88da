package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What a successful job produced: documents sorted by descending score, cut to {@code top_n}.
 *
 * @param model model that scored the job
 * @param results ranked documents
 * @param usage work done
 * @param scoringMs time spent in the scorer for the micro-batches that held this job's pairs
 */
public record JobResult(
        String model,
        List<RankedDocument> results,
        Usage usage,
        @JsonProperty("scoring_ms") long scoringMs) {

    /**
     * @param pairs (query, document) pairs scored
     * @param tokens tokens the scorer processed for them
     * @param chunks chunks scored when the job asked for long documents to be chunked, else {@code
     *     null} (and absent from stored results)
     * @param truncatedDocuments documents the model read only up to its token limit (scored on
     *     their beginning)
     * @param chargedTokens the tokens the job was charged at the door ({@link JobCost}), at least
     *     {@code tokens}; {@code null} in results stored before it was recorded
     */
    public record Usage(
            long pairs,
            long tokens,
            @JsonProperty("truncated_documents") long truncatedDocuments,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long chunks,
            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("charged_tokens")
                    Long chargedTokens) {

        public Usage(long pairs, long tokens, long truncatedDocuments, Long chunks) {
            this(pairs, tokens, truncatedDocuments, chunks, null);
        }

        public Usage(long pairs, long tokens) {
            this(pairs, tokens, 0, null);
        }

        /** Usage of a job scored without chunking. */
        public Usage(long pairs, long tokens, long truncatedDocuments) {
            this(pairs, tokens, truncatedDocuments, null);
        }
    }
}
