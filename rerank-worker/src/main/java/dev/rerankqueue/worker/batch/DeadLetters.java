package dev.rerankqueue.worker.batch;

import dev.rerankqueue.messaging.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Parks records that cannot be processed on the DLQ topic with the reason, so that they never block
 * a partition. The Kafka connector's own {@code dead-letter-queue} failure strategy is not used:
 * the worker consumes whole batches and acknowledges a batch once, so a nack would park every
 * record of the batch, while here one unreadable record is parked, with why, and the rest of its
 * batch is scored.
 */
@ApplicationScoped
@Startup
public class DeadLetters {

    /** Outgoing channel of the DLQ topic ({@code mp.messaging.outgoing.dlq-out.*}). */
    public static final String CHANNEL = "dlq-out";

    private static final Logger LOG = Logger.getLogger(DeadLetters.class);

    private final MutinyEmitter<byte[]> dlq;
    private final MeterRegistry metrics;

    public DeadLetters(
            @Channel(CHANNEL) @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
                    MutinyEmitter<byte[]> dlq,
            MeterRegistry metrics) {
        this.dlq = dlq;
        this.metrics = metrics;
        // exported as 0 from the start, so rate() and alerts see it
        metrics.counter("rerank.jobs.dead.lettered");
    }

    /**
     * Sends the record's bytes unchanged, with reason and origin headers; completes once Kafka
     * acknowledged.
     */
    public Uni<Void> park(ConsumerRecord<String, byte[]> record, String reason) {
        LOG.warnf(
                "dead-lettering record %s-%d@%d: %s",
                record.topic(), record.partition(), record.offset(), reason);
        RecordHeaders headers = new RecordHeaders();
        headers.add(Topics.HEADER_DLQ_REASON, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(
                Topics.HEADER_DLQ_SOURCE,
                (record.topic() + "-" + record.partition() + "@" + record.offset())
                        .getBytes(StandardCharsets.UTF_8));
        OutgoingKafkaRecordMetadata<String> meta =
                OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(record.key())
                        .withHeaders(headers)
                        .build();
        metrics.counter("rerank.jobs.dead.lettered").increment();
        return dlq.sendMessage(
                Message.of(record.value() == null ? new byte[0] : record.value())
                        .addMetadata(meta));
    }
}
