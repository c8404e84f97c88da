package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.job.RerankJob;

/** A job that Kafka has acknowledged: durable from here on. */
public record AcceptedJob(RerankJob job) {

    public String id() {
        return job.id();
    }
}
