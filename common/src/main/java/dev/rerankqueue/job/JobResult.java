package dev.rerankqueue.job;

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
     * @param truncatedDocuments documents the model read only up to its token limit (scored on
     *     their beginning)
     */
    public record Usage(
            long pairs, long tokens, @JsonProperty("truncated_documents") long truncatedDocuments) {

        public Usage(long pairs, long tokens) {
            this(pairs, tokens, 0);
        }
    }
}
