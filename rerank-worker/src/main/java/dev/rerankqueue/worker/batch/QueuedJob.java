package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.RerankJob;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A job read from a jobs topic, with the record it came in (for the dead-letter topic). */
record QueuedJob(ConsumerRecord<String, byte[]> record, RerankJob job) {

    String id() {
        return job.id();
    }
}
