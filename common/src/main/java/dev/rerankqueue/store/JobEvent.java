package dev.rerankqueue.store;

import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.messaging.JobCodec;

/** What {@link RedisKeys#JOB_EVENTS_CHANNEL} carries after each state write: enough to decide whether to re-read. */
public record JobEvent(String id, JobStatus status, long version) {

    public static JobEvent parse(String json) {
        return JobCodec.fromJson(json, JobEvent.class);
    }
}
