package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.auth.TenantDirectory;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.gateway.webhook.WebhookTargets;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RequestValidator;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.observability.JobLog;
import dev.rerankqueue.store.JobStateChanges;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Turns a valid request into a durable job: produce it to Kafka, wait for the broker's
 * acknowledgement (acks=all), then record it as queued in Redis. A job is accepted only once Kafka
 * has it; nothing is written for a rejected one.
 */
@ApplicationScoped
public class JobSubmitter {

    /** Outgoing channel to the jobs topic ({@code mp.messaging.outgoing.jobs-out.*}). */
    public static final String CHANNEL = "jobs-out";

    private static final Logger LOG = Logger.getLogger(JobSubmitter.class);

    private final MutinyEmitter<byte[]> jobs;
    private final JobStore store;
    private final GatewayConfig config;
    private final RequestValidator validator;
    private final ServedModels models;
    private final Timer sendTimer;
    private final MeterRegistry metrics;
    private final Replays replays;
    private final BacklogAdmission backlog;
    private final TenantQuotas quotas;
    private final StorageGuard storage;
    private final WebhookTargets webhooks;
    private final LanePermissions lanes;

    /**
     * Submissions between admission and their answer: an adaptive limit under {@code
     * rerank.admission.max-in-flight-submissions}.
     */
    private final SubmissionLimit inFlight;

    private static final Duration OVERLOADED_RETRY = Duration.ofSeconds(1);

    public JobSubmitter(
            @Channel(CHANNEL) @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
                    MutinyEmitter<byte[]> jobs,
            JobStore store,
            GatewayConfig config,
            MeterRegistry metrics,
            Replays replays,
            BacklogAdmission backlog,
            TenantQuotas quotas,
            StorageGuard storage,
            ServedModels models,
            WebhookTargets webhooks,
            LanePermissions lanes,
            TenantDirectory tenants) {
        this.jobs = jobs;
        this.lanes = lanes;
        this.webhooks = webhooks;
        this.models = models;
        this.storage = storage;
        this.backlog = backlog;
        this.quotas = quotas;
        this.replays = replays;
        this.store = store;
        this.config = config;
        this.metrics = metrics;
        this.validator = new RequestValidator(config.limits().toRequestLimits());
        this.inFlight =
                new SubmissionLimit(
                        config.admission().maxInFlightSubmissions(),
                        config.admission().minInFlightSubmissions(),
                        config.admission().acceptLatencyTarget(),
                        tenants.severalTenants()
                                ? config.admission().maxTenantSubmissionShare()
                                : 1,
                        metrics);
        checkProducerGivesUpFirst(config.kafka().sendTimeout());
        this.sendTimer =
                Timer.builder("rerank.kafka.send")
                        .description("Time from produce to the broker's acknowledgement")
                        .publishPercentileHistogram()
                        .register(metrics);
    }

    /**
     * A job answered 503 must never run: the producer's own deadline (waiting for metadata or
     * buffer space, then delivering) must end before the gateway stops waiting for it, or a record
     * refused to the client could still be written afterwards and scored, while the client's retry
     * creates a second job.
     */
    static void checkProducerGivesUpFirst(Duration sendTimeout) {
        Config c = ConfigProvider.getConfig();
        String prefix = "mp.messaging.outgoing." + CHANNEL + ".";
        long maxBlock = c.getOptionalValue(prefix + "max.block.ms", Long.class).orElse(60_000L);
        long delivery =
                c.getOptionalValue(prefix + "delivery.timeout.ms", Long.class).orElse(120_000L);
        if (maxBlock + delivery >= sendTimeout.toMillis()) {
            throw new IllegalStateException(
                    "the Kafka producer may still deliver a job "
                            + (maxBlock + delivery)
                            + " ms after it was "
                            + "sent (max.block.ms + delivery.timeout.ms), but the gateway answers 503 after rerank.kafka.send-timeout ("
                            + sendTimeout.toMillis()
                            + " ms): lower the producer's timeouts or raise the send timeout");
        }
    }

    /**
     * {@code request} if it is valid, else a 422 {@link
     * dev.rerankqueue.job.InvalidRequestException}.
     */
    public RerankRequest check(RerankRequest request) {
        return validator.check(request);
    }

    /**
     * Validates, then accepts the request as a job of {@code tenant}; fails with {@link
     * ApiException} otherwise: 422 for an invalid request, 503 when the backlog is too long or
     * Kafka does not acknowledge, 429 over a tenant quota.
     */
    public Uni<AcceptedJob> submit(String tenant, RerankRequest request, Endpoint endpoint) {
        return submit(tenant, request, endpoint, null);
    }

    /**
     * As {@link #submit(String, RerankRequest, String)}, and with an {@code Idempotency-Key}: the
     * same key and request give the job created the first time (replayed), the same key with
     * another request a 422.
     */
    public Uni<AcceptedJob> submit(
            String tenant, RerankRequest request, Endpoint endpoint, String idempotencyKey) {
        webhooks.check(request.webhook(), tenant);
        return submit(
                RerankJob.accept(tenant, validator.check(request), System.currentTimeMillis()),
                endpoint,
                idempotencyKey);
    }

    private Uni<AcceptedJob> submit(RerankJob job, Endpoint endpoint, String idempotencyKey) {
        return models.check(job.request().model())
                .chain(() -> submitServed(job, endpoint, idempotencyKey));
    }

    private Uni<AcceptedJob> submitServed(RerankJob job, Endpoint endpoint, String idempotencyKey) {
        return idempotencyKey == null
                ? produce(job, endpoint)
                : replays.keyed(job, endpoint, idempotencyKey, j -> produce(j, endpoint));
    }

    /**
     * Accepts a sync call's request. With an {@code Idempotency-Key} as {@link #submit(String,
     * RerankRequest, String, String)}; without one, a retry of the same request by the same tenant
     * within {@code rerank.sync.retry-window} attaches to the job of the first call while that job
     * is queued, running or succeeded (replayed), so an SDK that retries a 504 does not multiply
     * the work.
     */
    public Uni<AcceptedJob> submitSync(
            String tenant, RerankRequest request, String idempotencyKey) {
        Duration window = config.sync().retryWindow();
        webhooks.check(request.webhook(), tenant);
        RerankRequest valid = withSyncDeadline(validator.check(request));
        // kept only as long as a retry can use it: a sync caller has its answer, or polls soon
        // after a 504
        RerankJob job =
                RerankJob.accept(tenant, valid, System.currentTimeMillis())
                        .withRetention(config.sync().resultRetention());
        if (idempotencyKey != null || window.isZero() || window.isNegative()) {
            return submit(job, Endpoint.SYNC, idempotencyKey);
        }
        return models.check(valid.model())
                .chain(() -> replays.syncRetry(job, window, j -> produce(j, Endpoint.SYNC)));
    }

    /**
     * A sync job's deadline (or the request's own, if earlier) is its call's timeout plus the retry
     * window: a job not started by then has no caller waiting and no retry that could still attach
     * to it, so it is never sent to the model, and ends expired.
     */
    private RerankRequest withSyncDeadline(RerankRequest request) {
        Duration window = config.sync().retryWindow();
        long timeout =
                config.sync()
                        .timeout()
                        .plus(window.isNegative() ? Duration.ZERO : window)
                        .toMillis();
        Long asked = request.deadlineMs();
        return asked != null && asked <= timeout ? request : request.withDeadlineMs(timeout);
    }

    private Uni<AcceptedJob> produce(RerankJob job, Endpoint endpoint) {
        return Uni.createFrom()
                .deferred(
                        () -> {
                            lanes.check(job.tenant(), job.lane());
                            return inFlight.acquire(job.tenant())
                                    .map(slot -> admitAndSend(job, endpoint, slot))
                                    .orElseGet(() -> Uni.createFrom().failure(overloaded()));
                        });
    }

    /**
     * Within an in-flight {@code slot}: the storage and backlog checks, the tenant's quotas, then
     * the send; the quotas are given back if the send fails, the slot when it ends.
     */
    private Uni<AcceptedJob> admitAndSend(
            RerankJob job, Endpoint endpoint, SubmissionLimit.Slot slot) {
        return Uni.createFrom()
                .voidItem()
                .invoke(() -> admit(job, endpoint))
                .chain(() -> quotas.acquire(job))
                .chain(() -> send(job, endpoint).onFailure().call(() -> quotas.release(job)))
                .onTermination()
                .invoke((item, failure, cancelled) -> slot.release(item != null, failure));
    }

    /** Refuses {@code job} when Redis is too full or the backlog ahead of it too long. */
    private void admit(RerankJob job, Endpoint endpoint) {
        // a sync caller waits at most its timeout: refuse it at once rather than answer 504 later
        Duration limit =
                endpoint == Endpoint.SYNC
                        ? config.sync().timeout()
                        : config.admission().maxBacklog();
        storage.admit();
        backlog.admit(limit, job.lane(), job.cost());
    }

    /**
     * Whether this gateway is handling as many submissions as its in-flight limit allows: the next
     * one would be refused with {@link #overloaded()}, so the HTTP layer refuses it before reading
     * its body.
     */
    public boolean atLimit() {
        return inFlight.atLimit();
    }

    /** The refusal (503 {@code overloaded}) of a submission over the in-flight limit. */
    public RefusedException overloaded() {
        return RefusedException.overloaded(
                "this gateway is handling "
                        + inFlight.limit()
                        + " submissions at once, its current limit (adapted to keep accepts under"
                        + " rerank.admission.accept-latency-target, at most"
                        + " rerank.admission.max-in-flight-submissions)",
                OVERLOADED_RETRY);
    }

    private Uni<AcceptedJob> send(RerankJob job, Endpoint endpoint) {
        byte[] value = JobCodec.encodeJob(job);
        Timer.Sample sample = Timer.start();
        // the lane's topic: interactive jobs never queue behind bulk ones in a partition
        Message<byte[]> record =
                Message.of(value)
                        .addMetadata(
                                OutgoingKafkaRecordMetadata.<String>builder()
                                        .withKey(job.id())
                                        .withTopic(Topics.jobs(job.lane()))
                                        .build());
        return jobs.sendMessage(record)
                .ifNoItem()
                .after(config.kafka().sendTimeout())
                .fail()
                .onFailure()
                .recoverWithUni(e -> neverRun(job).map(taken -> takenOrRefused(job, taken, e)))
                .invoke(() -> acknowledged(job, endpoint, sample))
                .chain(() -> recordQueued(job))
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

    private Uni<Void> recordQueued(RerankJob job) {
        return store.apply(JobStateChanges.queued(job, config.results().retention()))
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
