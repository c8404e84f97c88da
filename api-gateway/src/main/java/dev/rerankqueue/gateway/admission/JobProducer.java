package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.auth.TenantDirectory;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.observability.JobLog;
import dev.rerankqueue.store.JobStateChanges;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Puts an admitted job on Kafka and records it queued: the send waits for the broker's
 * acknowledgement (acks=all) within {@code rerank.kafka.send-timeout}; a job Kafka did not
 * acknowledge is marked never to run before its 503. Each lane has its own producer: interactive
 * jobs go out at once ({@code linger.ms=0}), batch-lane jobs wait a few milliseconds to be sent in
 * larger requests, so bulk traffic is batched without making an interactive job wait for it.
 */
@ApplicationScoped
public class JobProducer {

    /** Producer of interactive jobs ({@code mp.messaging.outgoing.jobs-out.*}). */
    public static final String CHANNEL = "jobs-out";

    /** Producer of batch-lane jobs ({@code mp.messaging.outgoing.jobs-batch-out.*}). */
    public static final String BATCH_CHANNEL = "jobs-batch-out";

    private static final Logger LOG = Logger.getLogger(JobProducer.class);

    private final MutinyEmitter<byte[]> interactive;
    private final MutinyEmitter<byte[]> batch;
    private final JobStore store;
    private final GatewayConfig config;
    private final MeterRegistry metrics;
    private final Timer sendTimer;
    private final SendShares shares;

    public JobProducer(
            @Channel(CHANNEL) @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
                    MutinyEmitter<byte[]> interactive,
            @Channel(BATCH_CHANNEL) @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
                    MutinyEmitter<byte[]> batch,
            JobStore store,
            GatewayConfig config,
            MeterRegistry metrics,
            TenantDirectory tenants) {
        this.interactive = interactive;
        this.batch = batch;
        this.store = store;
        this.config = config;
        this.metrics = metrics;
        checkProducerGivesUpFirst(config.kafka().sendTimeout());
        this.sendTimer =
                Timer.builder("rerank.kafka.send")
                        .description("Time from produce to the broker's acknowledgement")
                        .publishPercentileHistogram()
                        .register(metrics);
        this.shares =
                new SendShares(
                        tenants.severalTenants() ? config.admission().maxTenantSendShare() : 1,
                        JobProducer::bufferMemory);
        for (Priority lane : Priority.values()) {
            Gauge.builder("rerank.admission.sending", shares, s -> s.held(lane))
                    .description(
                            "Encoded bytes of jobs on their way to Kafka through this gateway's"
                                    + " producer of the lane, from the send to the acknowledgement"
                                    + " (compare with the producer's buffer.memory)")
                    .baseUnit("bytes")
                    .tag("lane", lane.wireName())
                    .register(metrics);
        }
    }

    /** The {@code buffer.memory} of {@code lane}'s producer (Kafka's default: 32 MiB). */
    private static long bufferMemory(Priority lane) {
        return producerSetting(
                lane == Priority.BATCH ? BATCH_CHANNEL : CHANNEL, "buffer.memory", 32L << 20);
    }

    /** A numeric setting of {@code channel}'s Kafka producer, or Kafka's default {@code orElse}. */
    private static long producerSetting(String channel, String name, long orElse) {
        return ConfigProvider.getConfig()
                .getOptionalValue("mp.messaging.outgoing." + channel + "." + name, Long.class)
                .orElse(orElse);
    }

    /**
     * The most bytes one tenant's jobs may hold of the smallest lane producer's buffer on their way
     * to Kafka ({@code rerank.admission.max-tenant-send-share}); 0 when there is no share.
     */
    public long tenantSendShare() {
        return shares.smallest();
    }

    /**
     * A job answered 503 must never run: each producer's own deadline (waiting for metadata or
     * buffer space, then delivering) must end before the gateway stops waiting for it, or a record
     * refused to the client could still be written afterwards and scored, while the client's retry
     * creates a second job.
     */
    static void checkProducerGivesUpFirst(Duration sendTimeout) {
        for (String channel : List.of(CHANNEL, BATCH_CHANNEL)) {
            long maxBlock = producerSetting(channel, "max.block.ms", 60_000L);
            long delivery = producerSetting(channel, "delivery.timeout.ms", 120_000L);
            if (maxBlock + delivery >= sendTimeout.toMillis()) {
                throw new IllegalStateException(
                        "the Kafka producer of "
                                + channel
                                + " may still deliver a job "
                                + (maxBlock + delivery)
                                + " ms after it was sent (max.block.ms + delivery.timeout.ms), but"
                                + " the gateway answers 503 after rerank.kafka.send-timeout ("
                                + sendTimeout.toMillis()
                                + " ms): lower the producer's timeouts or raise the send timeout");
            }
        }
    }

    /**
     * Sends {@code job} to {@code topic} with its lane's producer; emits once Kafka has it and its
     * queued state is written (or could not be: the worker creates it), fails with a 503 {@link
     * RefusedException} when Kafka did not acknowledge it in time and no worker has it, or at once
     * with a 429 when its tenant's jobs on their way to Kafka hold their share of the producer's
     * buffer ({@link SendShares}).
     *
     * @param predictedStartAt when admission predicted its scoring to start, epoch ms (0: unknown)
     */
    Uni<AcceptedJob> send(RerankJob job, Endpoint endpoint, String topic, long predictedStartAt) {
        byte[] value = JobCodec.encodeJob(job);
        Runnable sent = shares.take(job.tenant(), job.lane(), value.length);
        Timer.Sample sample = Timer.start();
        Message<byte[]> record =
                Message.of(value)
                        .addMetadata(
                                OutgoingKafkaRecordMetadata.<String>builder()
                                        .withKey(job.id())
                                        .withTopic(topic)
                                        .build());
        MutinyEmitter<byte[]> producer = job.lane() == Priority.BATCH ? batch : interactive;
        return producer.sendMessage(record)
                .ifNoItem()
                .after(config.kafka().sendTimeout())
                .fail()
                // acknowledged, failed or given up on: the producer no longer holds the record (its
                // own deadlines end before the send timeout, checkProducerGivesUpFirst)
                .onTermination()
                .invoke(sent)
                .onFailure()
                .recoverWithUni(e -> neverRun(job).map(taken -> takenOrRefused(job, taken, e)))
                .invoke(() -> acknowledged(job, endpoint, sample))
                .chain(() -> recordQueued(job, predictedStartAt))
                .replaceWith(new AcceptedJob(job.id(), job.createdAt(), false));
    }

    /**
     * After a send that failed: nothing when a worker already has the job (it is accepted after
     * all), else the 503.
     */
    private Void takenOrRefused(RerankJob job, boolean taken, Throwable e) {
        if (!taken) {
            throw notAcknowledged(job, e);
        }
        LOG.infof(
                "job %s accepted: Kafka's acknowledgement did not come (%s), but a worker already"
                        + " has the job",
                job.id(), e.toString());
        return null;
    }

    /** The 503 of a job Kafka did not acknowledge in time, logged with why. */
    private RefusedException notAcknowledged(RerankJob job, Throwable e) {
        LOG.warnf(
                "job %s not accepted: Kafka did not acknowledge it (%s)",
                job.id(),
                e instanceof TimeoutException
                        ? "timeout after " + config.kafka().sendTimeout()
                        : e.toString());
        return RefusedException.kafkaUnavailable(config.kafka().retryAfter());
    }

    /** Kafka has the job: the send time, the counts, the tokens charged and the job log. */
    private void acknowledged(RerankJob job, Endpoint endpoint, Timer.Sample sample) {
        sample.stop(sendTimer);
        accepted(endpoint, job.lane()).increment();
        charged(endpoint, job.lane()).increment(job.cost().tokens());
        JobLog.accepted(job, endpoint.tag());
    }

    /**
     * A job answered 503 must never run, yet its record may still reach the topic: a send waiting
     * on the producer's sending thread while the broker is away has no deadline of its own and goes
     * out when the broker is back (the fault suite saw this), and an idempotent producer's timeout
     * does not prove the broker has not written it. So the job is marked cancelled before the 503:
     * a worker that gets the record finds it finished and never scores it. The mark is a
     * compare-and-set in Redis, as the worker's claim is: when a worker claimed the job first (the
     * record was on the topic, only its acknowledgement was lost), the mark loses, and this emits
     * true: the job is accepted, not refused. A mark that cannot be written emits false (the 503
     * stands).
     */
    private Uni<Boolean> neverRun(RerankJob job) {
        return store.apply(
                        JobStateChanges.neverToRun(
                                job,
                                System.currentTimeMillis(),
                                "not accepted: the queue did not acknowledge the job in time"
                                        + " (answered 503)",
                                config.results().retention()))
                .map(
                        mark ->
                                !mark.applied()
                                        && mark.status() != null
                                        && mark.status() != JobStatus.CANCELLED)
                .onFailure()
                .invoke(
                        e ->
                                LOG.warnf(
                                        "job %s was answered 503 but could not be marked as never to run: %s",
                                        job.id(), e.toString()))
                .onFailure()
                .recoverWithItem(false);
    }

    private Uni<Void> recordQueued(RerankJob job, long predictedStartAt) {
        return store.apply(
                        JobStateChanges.queued(job, config.results().retention(), predictedStartAt))
                // The job is already durable in Kafka and the worker creates the state if this
                // write is lost,
                // so a Redis hiccup here must not turn an accepted job into an error.
                .onFailure()
                .invoke(
                        e ->
                                LOG.warnf(
                                        "job %s accepted but its queued state was not stored: %s",
                                        job.id(), e.toString()))
                .onFailure()
                .recoverWithNull()
                .replaceWithVoid();
    }

    private Counter charged(Endpoint endpoint, Priority lane) {
        return Counter.builder("rerank.jobs.charged")
                .description(
                        "Model tokens accepted jobs were charged at the door: an upper bound of what"
                                + " the model reads for them")
                .baseUnit("tokens")
                .tags("endpoint", endpoint.tag(), "lane", lane.wireName())
                .register(metrics);
    }

    private Counter accepted(Endpoint endpoint, Priority lane) {
        return metrics.counter(
                "rerank.jobs.accepted", "endpoint", endpoint.tag(), "lane", lane.wireName());
    }
}
