package dev.rerankqueue.worker.batch;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Drains the jobs topic in batches. The batch is acknowledged, and so its offsets become committable, only when the
 * returned Uni completes: after every job in it reached a terminal state in Redis (or was dead-lettered).
 */
@ApplicationScoped
public class JobConsumer {

    /** Incoming channel of the jobs topic ({@code mp.messaging.incoming.jobs.*}). */
    public static final String CHANNEL = "jobs";

    private final JobBatchProcessor processor;
    private final GracefulStop stop;

    public JobConsumer(JobBatchProcessor processor, GracefulStop stop) {
        this.processor = processor;
        this.stop = stop;
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(ConsumerRecords<String, byte[]> records) {
        return stop.track(() -> processor.process(records));
    }
}
