package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.auth.TenantDirectory;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.webhook.WebhookTargets;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RequestValidator;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.ModelPool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Turns a valid request into a durable job: produce it to Kafka, wait for the broker's
 * acknowledgement (acks=all), then record it as queued in Redis. A job is accepted only once Kafka
 * has it; nothing is written for a rejected one.
 */
@ApplicationScoped
public class JobSubmitter {

    private static final Logger LOG = Logger.getLogger(JobSubmitter.class);

    private final JobProducer producer;
    private final GatewayConfig config;
    private final RequestValidator validator;
    private final ServedModels models;
    private final Replays replays;
    private final BacklogAdmission backlog;
    private final TenantQuotas quotas;
    private final StorageGuard storage;
    private final WebhookTargets webhooks;
    private final LanePermissions lanes;
    private final MeterRegistry metrics;

    /**
     * Submissions between admission and their answer: an adaptive limit under {@code
     * rerank.admission.max-in-flight-submissions}.
     */
    private final SubmissionLimit inFlight;

    private static final Duration OVERLOADED_RETRY = Duration.ofSeconds(1);

    public JobSubmitter(
            JobProducer producer,
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
        this.producer = producer;
        this.metrics = metrics;
        this.lanes = lanes;
        this.webhooks = webhooks;
        this.models = models;
        this.storage = storage;
        this.backlog = backlog;
        this.quotas = quotas;
        this.replays = replays;
        this.config = config;
        this.validator = new RequestValidator(config.limits().toRequestLimits());
        this.inFlight =
                new SubmissionLimit(
                        config.admission().maxInFlightSubmissions(),
                        config.admission()
                                .initialInFlightSubmissions()
                                .orElse(config.admission().maxInFlightSubmissions()),
                        config.admission().minInFlightSubmissions(),
                        config.admission().acceptLatencyTarget(),
                        tenants.severalTenants()
                                ? config.admission().maxTenantSubmissionShare()
                                : 1,
                        metrics);
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
        return models.route(job.request().model())
                .chain(pool -> submitServed(job, pool, endpoint, idempotencyKey));
    }

    private Uni<AcceptedJob> submitServed(
            RerankJob job, ModelPool pool, Endpoint endpoint, String idempotencyKey) {
        return idempotencyKey == null
                ? produce(job, pool, endpoint)
                : replays.keyed(job, endpoint, idempotencyKey, j -> produce(j, pool, endpoint));
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
        return models.route(valid.model())
                .chain(
                        pool ->
                                replays.syncRetry(
                                        job, window, j -> produce(j, pool, Endpoint.SYNC)));
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

    /**
     * Queues {@code job} in {@code pool}, the pool of the model it names; counts the outcome by
     * pool ({@code rerank.submissions{pool,outcome}}: the accept SLO of each pool).
     */
    private Uni<AcceptedJob> produce(RerankJob job, ModelPool pool, Endpoint endpoint) {
        return Uni.createFrom()
                .deferred(
                        () -> {
                            lanes.check(job.tenant(), job.lane());
                            return inFlight.acquire(job.tenant())
                                    .map(slot -> admitAndSend(job, pool, endpoint, slot))
                                    .orElseGet(() -> Uni.createFrom().failure(overloaded()));
                        })
                .onItemOrFailure()
                .invoke(
                        (accepted, failure) ->
                                submissions(
                                                pool,
                                                failure == null
                                                        ? "accepted"
                                                        : failure instanceof ApiException e
                                                                ? e.slug()
                                                                : "error")
                                        .increment());
    }

    /**
     * The outcomes the accept SLO counts, exported as 0 with a pool's first submission: a series
     * that starts at its first refusal hides that refusal from {@code rate()}.
     */
    private static final List<String> SLO_OUTCOMES =
            List.of("accepted", "backlog-full", "queue-unavailable", "storage-full");

    private final Set<ModelPool> poolsCounted = ConcurrentHashMap.newKeySet();

    private Counter submissions(ModelPool pool, String outcome) {
        if (poolsCounted.add(pool)) {
            SLO_OUTCOMES.forEach(o -> submissions(pool, o));
        }
        return Counter.builder("rerank.submissions")
                .description(
                        "Submissions of a job to a model pool, by outcome: accepted, or the"
                                + " problem that refused it")
                .tags("pool", pool.name(), "outcome", outcome)
                .register(metrics);
    }

    /**
     * Within an in-flight {@code slot}: the storage and backlog checks, the tenant's quotas, then
     * the send; the quotas are given back if the send fails, the slot when it ends.
     */
    private Uni<AcceptedJob> admitAndSend(
            RerankJob job, ModelPool pool, Endpoint endpoint, SubmissionLimit.Slot slot) {
        return Uni.createFrom()
                .item(() -> admit(job, pool, endpoint))
                .chain(
                        wait ->
                                quotas.acquire(job, pool)
                                        .chain(
                                                overflow ->
                                                        send(job, pool, overflow, endpoint, wait)))
                .onTermination()
                .invoke((item, failure, cancelled) -> slot.release(item != null, failure));
    }

    /**
     * Sends the job to its pool's topic of its lane, or to that lane's overflow for a job past its
     * tenant's front (another tenant's job never waits behind a flood in a partition), checked
     * against the backlog of the overflow topics too; counted towards the backlog; its quotas given
     * back if the send fails.
     *
     * @param wait the wait predicted at admission, replaced by the overflow topic's
     */
    private Uni<AcceptedJob> send(
            RerankJob job,
            ModelPool pool,
            boolean overflow,
            Endpoint endpoint,
            Optional<Duration> wait) {
        return Uni.createFrom()
                .deferred(
                        () -> {
                            Optional<Duration> predicted = wait;
                            if (overflow) {
                                predicted =
                                        backlog.admitOverflow(backlogLimit(endpoint), job, pool);
                            }
                            String topic =
                                    overflow ? pool.overflow(job.lane()) : pool.jobs(job.lane());
                            long startAt =
                                    predicted.map(w -> job.createdAt() + w.toMillis()).orElse(0L);
                            // takes the tenant's share of the producer's buffer first: a job
                            // refused there (429) is not counted as waiting
                            Uni<AcceptedJob> sending = producer.send(job, endpoint, topic, startAt);
                            if (overflow) {
                                overflowed(job.lane()).increment();
                            }
                            backlog.accepted(pool, job.lane(), overflow);
                            return sending;
                        })
                .onFailure()
                .call(() -> quotas.release(job));
    }

    private Counter overflowed(Priority lane) {
        return Counter.builder("rerank.jobs.overflowed")
                .description(
                        "Jobs sent to their lane's overflow topic: their tenant's queued work was"
                                + " past its front (rerank.admission.front-backlog)")
                .tags("lane", lane.wireName())
                .register(metrics);
    }

    /**
     * Refuses {@code job} when Redis is too full or the backlog ahead of it too long for its
     * endpoint or its deadline; else the wait predicted for it.
     */
    private Optional<Duration> admit(RerankJob job, ModelPool pool, Endpoint endpoint) {
        storage.admit();
        return backlog.admit(backlogLimit(endpoint), job, pool);
    }

    /**
     * The longest wait a job is accepted for: a sync caller waits at most its timeout, so it is
     * refused at once rather than answered 504 later.
     */
    private Duration backlogLimit(Endpoint endpoint) {
        return endpoint == Endpoint.SYNC
                ? config.sync().timeout()
                : config.admission().maxBacklog();
    }

    /**
     * Whether this gateway is handling as many submissions as its in-flight limit allows: the next
     * one would be refused with {@link #overloaded()}, so the HTTP layer refuses it before reading
     * its body.
     */
    public boolean atLimit() {
        return inFlight.atLimit();
    }

    /**
     * The most bytes one tenant's jobs may hold of a producer's buffer on their way to Kafka; 0
     * when there is no share ({@link JobProducer#tenantSendShare()}).
     */
    public long tenantSendShare() {
        return producer.tenantSendShare();
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
}
