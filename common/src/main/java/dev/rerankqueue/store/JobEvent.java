package dev.rerankqueue.store;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.messaging.JobCodec;

/**
 * What {@link RedisKeys#JOB_EVENTS_CHANNEL} carries after each state write, and after each {@link
 * JobProgress} write: enough to decide whether to re-read.
 *
 * @param scoredPairs pairs of a running job scored so far; absent in events of lifecycle writes
 */
public record JobEvent(
        String id,
        JobStatus status,
        long version,
        @JsonProperty("scored_pairs") Integer scoredPairs) {

    /** Pairs scored so far, 0 when the event does not say. */
    public int scored() {
        return scoredPairs == null ? 0 : scoredPairs;
    }

    public static JobEvent parse(String json) {
        return JobCodec.fromJson(json, JobEvent.class);
    }
}
