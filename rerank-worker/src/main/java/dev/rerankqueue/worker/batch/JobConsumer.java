package dev.rerankqueue.worker.batch;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Drains the two jobs topics, one per priority lane, in batches. A batch is acknowledged, and so
 * its offsets become committable, only when the returned Uni completes: after every job in it
 * reached a terminal state in Redis (or was dead-lettered). Each lane has consumers of its own, so
 * a consumer busy with bulk work never holds an interactive job; the lanes meet at the scorer,
 * where interactive calls go first ({@link dev.rerankqueue.worker.scoring.LaneGate}).
 */
@ApplicationScoped
public class JobConsumer {

    /** Incoming channel of the interactive jobs topic ({@code mp.messaging.incoming.jobs.*}). */
    public static final String CHANNEL = "jobs";

    /**
     * Incoming channel of the batch-lane jobs topic ({@code mp.messaging.incoming.jobs-batch.*}).
     */
    public static final String BATCH_CHANNEL = "jobs-batch";

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

    @Incoming(BATCH_CHANNEL)
    public Uni<Void> consumeBatchLane(ConsumerRecords<String, byte[]> records) {
        return stop.track(() -> processor.process(records));
    }
}
