package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RankedDocument;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A job as {@code GET /v1/rerank/jobs/{id}} returns it, and as SSE events carry it.
 *
 * @param expiresAt when the job and its result stop being readable unless written again (each write
 *     keeps them for the retention from then)
 * @param results ranked documents, once succeeded
 * @param usage work done, once succeeded
 * @param timings where the time went so far
 * @param error why the job failed, expired or was cancelled
 * @param attempts times a worker started scoring it; more than 1 after a redelivery (a worker crash
 *     or rebalance)
 * @param progress pairs scored so far, while a large job is being scored
 * @param metadata the client's own labels from the request, as sent
 * @param webhook the job's completion webhook: its URL, {@code pending}, {@code delivered} or
 *     {@code failed}, and the attempts so far
 * @param deadlineAt when scoring must have started, for a job with {@code deadline_ms}
 * @param predictedStartAt when the gateway predicted, on accepting the job, that its scoring would
 *     start: the work ahead of it at the workers' drain rate (absent while no rate was known)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobView(
        String id,
        String status,
        String model,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("started_at") String startedAt,
        @JsonProperty("finished_at") String finishedAt,
        @JsonProperty("expires_at") String expiresAt,
        List<RankedDocument> results,
        Usage usage,
        Timings timings,
        String error,
        int attempts,
        Progress progress,
        Map<String, String> metadata,
        JobState.Webhook webhook,
        @JsonProperty("deadline_at") String deadlineAt,
        @JsonProperty("predicted_start_at") String predictedStartAt) {

    /**
     * @param scoredPairs pairs scored so far
     * @param totalPairs pairs of the job
     */
    public record Progress(
            @JsonProperty("scored_pairs") int scoredPairs,
            @JsonProperty("total_pairs") int totalPairs) {}

    /**
     * @param pairs (query, document) pairs scored
     * @param tokens tokens the model processed
     * @param truncatedDocuments documents longer than the model's token limit, scored on their
     *     beginning
     * @param chunks chunks scored, when the job asked for long documents to be chunked
     * @param chargedTokens tokens the job was charged when it was accepted: an upper bound of
     *     {@code tokens} estimated from the request (quotas and admission count it)
     */
    public record Usage(
            long pairs,
            long tokens,
            @JsonProperty("truncated_documents") long truncatedDocuments,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long chunks,
            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("charged_tokens")
                    Long chargedTokens) {}

    /**
     * @param queuedMs acceptance to start of scoring (so far, while queued)
     * @param scoringMs time in the scorer, once succeeded
     * @param totalMs acceptance to the end (so far, while open)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Timings(
            @JsonProperty("queued_ms") long queuedMs,
            @JsonProperty("scoring_ms") Long scoringMs,
            @JsonProperty("total_ms") long totalMs) {}

    public static JobView of(JobState s, String defaultModel) {
        long now = System.currentTimeMillis();
        JobResult r = s.result();
        String model =
                r != null && r.model() != null
                        ? r.model()
                        : s.model() != null ? s.model() : defaultModel;
        return new JobView(
                s.id(),
                s.status().wireName(),
                model,
                Instant.ofEpochMilli(s.createdAt()).toString(),
                s.startedAt() > 0 ? Instant.ofEpochMilli(s.startedAt()).toString() : null,
                s.finishedAt() > 0 ? Instant.ofEpochMilli(s.finishedAt()).toString() : null,
                s.expiresAt() == null ? null : Instant.ofEpochMilli(s.expiresAt()).toString(),
                r == null ? null : r.results(),
                r == null
                        ? null
                        : new Usage(
                                r.usage().pairs(),
                                r.usage().tokens(),
                                r.usage().truncatedDocuments(),
                                r.usage().chunks(),
                                r.usage().chargedTokens()),
                new Timings(
                        s.queuedMillis(now), r == null ? null : r.scoringMs(), s.totalMillis(now)),
                s.error(),
                s.attempts(),
                s.status() == JobStatus.RUNNING && s.scored() > 0
                        ? new Progress(s.scored(), s.pairs())
                        : null,
                s.metadata(),
                s.webhook(),
                instant(s.deadlineAt()),
                instant(s.predictedStartAt()));
    }

    private static String instant(Long epochMs) {
        return epochMs == null ? null : Instant.ofEpochMilli(epochMs).toString();
    }
}
