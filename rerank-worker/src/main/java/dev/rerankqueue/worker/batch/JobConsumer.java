package dev.rerankqueue.worker.batch;

import dev.rerankqueue.worker.config.WorkerConfig;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordBatchMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Drains the jobs topics, one per priority lane and one per lane's overflow, in batches. A batch is
 * acknowledged, and so its offsets become committable, only after every job in it reached a
 * terminal state in Redis (or was dead-lettered). Each consumer keeps up to {@code
 * rerank.worker.batch.kafka-batches-in-flight} batches being processed ({@link BatchPipeline}): the
 * next batch is claimed and scored while the previous one is still on the GPU, and offsets are
 * committed in order all the same. Each lane has consumers of its own, so a consumer busy with bulk
 * work never holds an interactive job; the lanes meet at the scorer, where interactive calls go
 * first ({@link dev.rerankqueue.worker.scoring.LaneGate}).
 */
@ApplicationScoped
public class JobConsumer {

    /** Incoming channel of the interactive jobs topic ({@code mp.messaging.incoming.jobs.*}). */
    public static final String CHANNEL = "jobs";

    /**
     * Incoming channel of the batch-lane jobs topic ({@code mp.messaging.incoming.jobs-batch.*}).
     */
    public static final String BATCH_CHANNEL = "jobs-batch";

    /**
     * Incoming channels of each lane's overflow topic ({@code
     * mp.messaging.incoming.jobs-overflow.*}, {@code jobs-batch-overflow.*}): a tenant's jobs past
     * its front share, read by consumers of their own so that a flood held there never holds a
     * consumer of the lane's own topic.
     */
    public static final String OVERFLOW_CHANNEL = "jobs-overflow";

    public static final String BATCH_OVERFLOW_CHANNEL = "jobs-batch-overflow";

    private final JobBatchProcessor processor;
    private final GracefulStop stop;
    private final int depth;
    private final long lookAheadBytes;

    /** One pipeline per consumer: channel and consumer index. */
    private final Map<String, BatchPipeline> pipelines = new ConcurrentHashMap<>();

    public JobConsumer(JobBatchProcessor processor, GracefulStop stop, WorkerConfig config) {
        this.processor = processor;
        this.stop = stop;
        this.depth = config.batch().kafkaBatchesInFlight();
        this.lookAheadBytes = config.batch().lookAheadBytes();
    }

    // acknowledged by the pipeline when the batch's results are stored, never on return
    @Incoming(CHANNEL)
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public Uni<Void> consume(KafkaRecordBatch<String, byte[]> batch) {
        return pipelined(batch);
    }

    @Incoming(BATCH_CHANNEL)
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public Uni<Void> consumeBatchLane(KafkaRecordBatch<String, byte[]> batch) {
        return pipelined(batch);
    }

    @Incoming(OVERFLOW_CHANNEL)
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public Uni<Void> consumeOverflow(KafkaRecordBatch<String, byte[]> batch) {
        return pipelined(batch);
    }

    @Incoming(BATCH_OVERFLOW_CHANNEL)
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public Uni<Void> consumeBatchLaneOverflow(KafkaRecordBatch<String, byte[]> batch) {
        return pipelined(batch);
    }

    private Uni<Void> pipelined(KafkaRecordBatch<String, byte[]> batch) {
        @SuppressWarnings("unchecked")
        IncomingKafkaRecordBatchMetadata<String, byte[]> meta =
                batch.getMetadata(IncomingKafkaRecordBatchMetadata.class).orElseThrow();
        ConsumerRecords<String, byte[]> records = meta.getRecords();
        BatchPipeline pipeline =
                pipelines.computeIfAbsent(
                        meta.getChannel() + "#" + meta.getConsumerIndex(),
                        k -> new BatchPipeline(depth, lookAheadBytes));
        long bytes = 0;
        for (ConsumerRecord<String, byte[]> r : records) {
            bytes += r.serializedValueSize();
        }
        return pipeline.admit(batch, bytes, () -> stop.track(() -> processor.process(records)));
    }
}
