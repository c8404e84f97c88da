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

    /**
     * The job id of an event as the scripts write it ({@code "id":"..."}, ids never hold a quote),
     * read without parsing the rest: a gateway sees every job's events and follows few of them.
     * Null when the text has no such field.
     */
    public static String idOf(String json) {
        int at = json.indexOf(ID_FIELD);
        if (at < 0) {
            return null;
        }
        int start = at + ID_FIELD.length();
        int end = json.indexOf('"', start);
        return end < 0 ? null : json.substring(start, end);
    }

    private static final String ID_FIELD = "\"id\":\"";

    public static JobEvent parse(String json) {
        return JobCodec.fromJson(json, JobEvent.class);
    }
}
