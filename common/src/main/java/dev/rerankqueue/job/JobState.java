package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * A job as the store holds it: lifecycle fields plus, once succeeded, its result. Terminal states
 * are also the values of the compacted {@code rerank.results} topic, from which Redis can be
 * rebuilt.
 *
 * @param version bumped by every write; the compare-and-set token
 * @param createdAt acceptance time, epoch ms
 * @param startedAt when a worker started scoring, epoch ms, or 0
 * @param finishedAt when the job reached a terminal state, epoch ms, or 0
 * @param attempts how many times a worker started it
 * @param scoredPairs pairs the running attempt has scored so far (progress of large jobs); {@code
 *     null} when none were reported or the job is not running
 * @param error why the job failed, expired or was cancelled; {@code null} otherwise
 * @param result the ranked results once succeeded; {@code null} otherwise
 * @param metadata the client's labels from the request
 * @param expiresAt when the state is deleted unless written again, epoch ms, as read from the
 *     store; {@code null} where not read (the results topic never carries it)
 * @param webhook where the job's end is announced and how that went; {@code null} without one
 * @param deadlineAt epoch ms by which scoring must start (else the job ends expired); {@code null}
 *     for a job without a deadline
 * @param predictedStartAt epoch ms at which the gateway predicted, on accepting the job, that its
 *     scoring would start (the work ahead of it over the measured drain rate); {@code null} where
 *     none was known
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobState(
        String id,
        JobStatus status,
        long version,
        String tenant,
        String model,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("started_at") long startedAt,
        @JsonProperty("finished_at") long finishedAt,
        int attempts,
        int pairs,
        @JsonProperty("scored_pairs") Integer scoredPairs,
        String worker,
        String error,
        JobResult result,
        Map<String, String> metadata,
        @JsonProperty("expires_at") Long expiresAt,
        Webhook webhook,
        @JsonProperty("deadline_at") Long deadlineAt,
        @JsonProperty("predicted_start_at") Long predictedStartAt) {

    /**
     * A job's completion webhook.
     *
     * @param url where its end is POSTed
     * @param status {@code pending} until delivered ({@code delivered}) or given up ({@code
     *     failed})
     * @param attempts deliveries tried so far
     */
    public record Webhook(String url, String status, int attempts) {}

    /** Pairs scored so far while running, 0 when unknown. */
    public int scored() {
        return scoredPairs == null ? 0 : scoredPairs;
    }

    /**
     * Milliseconds from acceptance to the start of scoring (or to now/the end, if it never
     * started).
     */
    public long queuedMillis(long now) {
        long until = startedAt > 0 ? startedAt : finishedAt > 0 ? finishedAt : now;
        return Math.max(0, until - createdAt);
    }

    /** Milliseconds from acceptance to the terminal state, or to {@code now} while still open. */
    public long totalMillis(long now) {
        return Math.max(0, (finishedAt > 0 ? finishedAt : now) - createdAt);
    }
}
