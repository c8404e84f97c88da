package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RequestLimits;
import dev.rerankqueue.job.RequestValidator;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One Kafka batch of one jobs topic, decoded: its jobs (each once, even if a producer retry wrote
 * it twice) and the records that cannot be read, with why.
 */
record DecodedBatch(
        Priority lane,
        boolean overflow,
        int recordCount,
        List<QueuedJob> jobs,
        List<Unreadable> unreadable) {

    /** A record that is not a job this worker can score; it goes to the dead-letter topic. */
    record Unreadable(ConsumerRecord<String, byte[]> record, String reason) {}

    /**
     * Structural checks only: size limits are the gateway's to enforce, a worker scores what was
     * accepted.
     */
    private static final RequestValidator STRUCTURE =
            new RequestValidator(
                    new RequestLimits(
                            Integer.MAX_VALUE,
                            Integer.MAX_VALUE,
                            Integer.MAX_VALUE,
                            Long.MAX_VALUE,
                            RequestLimits.DEFAULT_METADATA_ENTRIES,
                            RequestLimits.DEFAULT_METADATA_VALUE_CHARS,
                            Long.MAX_VALUE));

    static DecodedBatch decode(Iterable<ConsumerRecord<String, byte[]>> records) {
        Priority lane = Priority.INTERACTIVE;
        boolean overflow = false;
        int count = 0;
        Map<String, QueuedJob> jobs = new LinkedHashMap<>();
        List<Unreadable> unreadable = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            if (count++ == 0) {
                lane = Topics.lane(record.topic());
                overflow = Topics.isOverflow(record.topic());
            }
            try {
                RerankJob job = JobCodec.decodeJob(record.value());
                STRUCTURE.check(job.request());
                jobs.putIfAbsent(job.id(), new QueuedJob(record, job));
            } catch (RuntimeException e) {
                unreadable.add(new Unreadable(record, "unreadable job record: " + e.getMessage()));
            }
        }
        return new DecodedBatch(lane, overflow, count, List.copyOf(jobs.values()), unreadable);
    }

    boolean isEmpty() {
        return jobs.isEmpty() && unreadable.isEmpty();
    }
}
