package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.auth.TenantDirectory;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.config.Quotas;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.store.RedisScripts;
import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.JobCost;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.store.RedisKeys;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Per-tenant quotas, shared by every gateway instance through Redis: jobs and documents in flight
 * (accepted, not yet terminal) and pairs per second (a token bucket). One Lua script checks them
 * all and takes its share atomically; the transition script in {@code common} takes a job off its
 * tenant's in-flight set, and its documents off the tenant's count, when it becomes terminal,
 * whoever writes it. A job larger than the documents quota passes when the tenant has nothing in
 * flight, so a quota below the largest job never locks a tenant out.
 *
 * <p>The configured quotas are the tenant's across every model; what is derived from a pool's drain
 * (the share of its backlog, the front before the overflow topic) counts the tenant's jobs of that
 * pool alone, so a tenant's backlog on one model never refuses its jobs for another.
 *
 * <p>If Redis cannot be reached, jobs are accepted without a quota check (and counted): quotas
 * protect fairness, they must not stop a durable queue from taking work.
 */
@ApplicationScoped
public class TenantQuotas {

    private static final Logger LOG = Logger.getLogger(TenantQuotas.class);

    private final ReactiveRedisDataSource redis;
    private final GatewayConfig config;
    private final MeterRegistry metrics;
    private final StorageGuard storage;
    private final BacklogAdmission backlog;
    private final TenantDirectory tenants;

    public TenantQuotas(
            ReactiveRedisDataSource redis,
            GatewayConfig config,
            MeterRegistry metrics,
            StorageGuard storage,
            BacklogAdmission backlog,
            TenantDirectory tenants) {
        this.backlog = backlog;
        this.tenants = tenants;
        this.redis = redis;
        this.config = config;
        this.metrics = metrics;
        this.storage = storage;
    }

    static final long HOUR_MS = 3_600_000;

    /**
     * Bytes the job's state and result will hold in Redis, estimated from what it asks: some
     * fields, its metadata, one result entry per ranked document and, with {@code
     * return_documents}, every document's text (which documents make the top is not known yet).
     */
    static long storedEstimate(RerankJob job) {
        RerankRequest r = job.request();
        long documents = r.documents() == null ? 0 : r.documents().size();
        long ranked = r.topN() == null ? documents : Math.min(documents, Math.max(0, r.topN()));
        long bytes = 1024 + 96 * ranked;
        if (r.metadata() != null) {
            for (Map.Entry<String, String> m : r.metadata().entrySet()) {
                bytes += JobCost.utf8Length(m.getKey()) + JobCost.utf8Length(m.getValue()) + 16;
            }
        }
        if (Boolean.TRUE.equals(r.returnDocuments()) && r.documents() != null) {
            for (Document d : r.documents()) {
                bytes += d == null ? 0 : JobCost.utf8Length(d.text()) + 16;
            }
        }
        return bytes;
    }

    /** The hour (since the epoch) in which the job's stored state expires. */
    private long expiryHour(RerankJob job) {
        return (job.createdAt() + job.retentionOr(config.results().retention()).toMillis())
                / HOUR_MS;
    }

    /** The bytes of Redis one tenant's stored jobs may take now; 0 = no limit. */
    private long storedLimit(String tenant) {
        double share = config.quotas().maxStoredShare(tenant);
        long max = storage.maxMemory();
        return share > 0 && max > 0 ? Math.max(1, (long) (share * max)) : 0;
    }

    /**
     * Takes the job's share of its tenant's quotas, or fails with a 429 {@link ApiException} saying
     * which and when to retry. Emits true when the job takes its tenant's queued and running pairs
     * past the tenant's front ({@code rerank.admission.front-backlog}): it goes to its lane's
     * overflow topic.
     */
    public Uni<Boolean> acquire(RerankJob job, ModelPool pool) {
        Quotas q = config.quotas();
        int maxInFlight = q.maxInFlightJobs(job.tenant());
        long maxPairs = q.maxInFlightPairs(job.tenant());
        // a share protects other tenants: with one tenant there are none
        double share = tenants.severalTenants() ? q.maxBacklogShare(job.tenant()) : 0;
        long sharePairs = backlog.tenantPairsLimit(share, pool);
        double rate = q.pairsPerSecond(job.tenant());
        double tokenRate = q.tokensPerSecond(job.tenant());
        long storedLimit = storedLimit(job.tenant());
        long frontPairs = tenants.severalTenants() ? frontPairs(pool) : 0;
        if (maxInFlight <= 0
                && maxPairs <= 0
                && sharePairs <= 0
                && rate <= 0
                && tokenRate <= 0
                && storedLimit <= 0
                && frontPairs <= 0) {
            return Uni.createFrom().item(false);
        }
        long now = System.currentTimeMillis();
        // the estimate walks every document kept with return_documents: only where it is checked
        long storedCost = storedLimit > 0 ? storedEstimate(job) : 0;
        // a job stored now expires within the longest retention: counters of later hours are empty
        long longest =
                Math.max(
                        job.retentionOr(config.results().retention()).toMillis(),
                        config.results().retention().toMillis());
        long lastHour = (now + longest) / HOUR_MS + 1;
        QuotaRefusal.Checked checked =
                new QuotaRefusal.Checked(
                        maxInFlight,
                        maxPairs,
                        sharePairs,
                        share,
                        pool,
                        rate,
                        tokenRate,
                        storedLimit,
                        storedCost,
                        q.inFlightRetryAfter());
        double capacity = rate * q.burst().toMillis() / 1000.0;
        double tokenCapacity = tokenRate * q.burst().toMillis() / 1000.0;
        return lateRepliesUndone(
                        job,
                        script(
                                QuotaScripts.ACQUIRE,
                                job,
                                Long.toString(now),
                                Long.toString(now - config.results().retention().toMillis()),
                                Integer.toString(Math.max(0, maxInFlight)),
                                Double.toString(Math.max(0, rate)),
                                Double.toString(capacity),
                                Integer.toString(job.pairCount()),
                                Long.toString(Math.max(0, maxPairs)),
                                Double.toString(Math.max(0, tokenRate)),
                                Double.toString(tokenCapacity),
                                Long.toString(job.cost().tokens()),
                                Long.toString(storedLimit),
                                Long.toString(storedCost),
                                RedisKeys.storedBytes(job.tenant()),
                                Long.toString(now / HOUR_MS),
                                Long.toString(lastHour),
                                Long.toString(expiryHour(job)),
                                Long.toString(frontPairs),
                                pool.name(),
                                Long.toString(Math.max(0, sharePairs))))
                // a deadline: a saturated Redis must not hold a submission until the client gives
                // up
                .ifNoItem()
                .after(config.admission().storeDeadline())
                .fail()
                .onFailure(TenantQuotas::overloaded)
                .transform(
                        e -> {
                            // Redis is up but saturated: skipping the check would let a flood
                            // through unchecked, so refuse
                            LOG.debugf(
                                    "quota check for job %s refused: Redis is saturated (%s)",
                                    job.id(), e.toString());
                            return RefusedException.overloaded(
                                    "the job store is saturated and the tenant's quota cannot be checked",
                                    Duration.ofSeconds(1));
                        })
                .onFailure(e -> !(e instanceof ApiException))
                .recoverWithItem(
                        e -> {
                            // Redis is down: accepted jobs are safe in Kafka, and refusing every
                            // job for it would stop the service
                            LOG.warnf(
                                    "quota check skipped for job %s: Redis unavailable (%s)",
                                    job.id(), e.toString());
                            metrics.counter("rerank.quota.unchecked").increment();
                            return null;
                        })
                .map(
                        reply -> {
                            if (reply == null) {
                                return false;
                            }
                            if ("ok".equals(reply.get(0).toString())) {
                                return "overflow".equals(reply.get(1).toString());
                            }
                            throw QuotaRefusal.of(
                                    reply.get(0).toString(),
                                    reply.get(1).toString(),
                                    job,
                                    checked,
                                    now);
                        });
    }

    /**
     * Pairs of the pool's workers' drain in {@code rerank.admission.front-backlog}; 0 = no front.
     */
    private long frontPairs(ModelPool pool) {
        long front = config.admission().frontBacklog().toMillis();
        return front > 0 ? backlog.pairsDrainedIn(front / 1000.0, pool) : 0;
    }

    /**
     * The quota script's reply for whoever still waits for it. A script sent to Redis runs even
     * when its caller stopped waiting (the deadline passed while it sat in a saturated client pool,
     * or the client went away): its reply then finds no one, and a quota it took is given back at
     * once, or the refused job would hold a place in its tenant's in-flight quota until the stale
     * cut (a flood of 12 s left 900 such places).
     */
    private Uni<Response> lateRepliesUndone(RerankJob job, Uni<Response> script) {
        return Uni.createFrom()
                .emitter(
                        waiting -> {
                            AtomicBoolean over = new AtomicBoolean();
                            waiting.onTermination(() -> over.set(true));
                            script.subscribe()
                                    .with(
                                            reply -> {
                                                if (over.compareAndSet(false, true)) {
                                                    waiting.complete(reply);
                                                } else if (reply != null
                                                        && "ok".equals(reply.get(0).toString())) {
                                                    metrics.counter("rerank.quota.late.released")
                                                            .increment();
                                                    release(job).subscribe().with(v -> {});
                                                }
                                            },
                                            failure -> {
                                                if (over.compareAndSet(false, true)) {
                                                    waiting.fail(failure);
                                                }
                                            });
                        });
    }

    /**
     * Whether {@code e} says Redis is reachable but saturated (its client pool's wait queue is
     * full, or a call timed out).
     */
    static boolean overloaded(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getClass().getSimpleName().contains("TooBusy")
                    || t instanceof java.util.concurrent.TimeoutException
                    || t instanceof io.smallrye.mutiny.TimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** Gives back what {@link #acquire} took, for a job that was not accepted after all. */
    public Uni<Void> release(RerankJob job) {
        boolean stored = storedLimit(job.tenant()) > 0;
        return script(
                        QuotaScripts.RELEASE,
                        job,
                        Integer.toString(job.pairCount()),
                        Long.toString(job.cost().tokens()),
                        stored ? RedisKeys.storedBytes(job.tenant()) + expiryHour(job) : "",
                        Long.toString(stored ? storedEstimate(job) : 0))
                .onFailure()
                .recoverWithNull()
                .replaceWithVoid();
    }

    /**
     * Runs a quota script on the job's tenant's six keys (jobs in flight, pairs bucket, pairs in
     * flight, tokens bucket, pool of each job in flight, pairs in flight per pool) with the job's
     * id and then {@code args}.
     */
    private Uni<Response> script(String script, RerankJob job, String... args) {
        String tenant = job.tenant();
        String[] all = new String[9 + args.length];
        all[0] = script;
        all[1] = "6";
        all[2] = RedisKeys.inFlight(tenant);
        all[3] = RedisKeys.pairBucket(tenant);
        all[4] = RedisKeys.inFlightPairs(tenant);
        all[5] = RedisKeys.tokenBucket(tenant);
        all[6] = RedisKeys.inFlightPools(tenant);
        all[7] = RedisKeys.inFlightPoolPairs(tenant);
        all[8] = job.id();
        System.arraycopy(args, 0, all, 9, args.length);
        return RedisScripts.eval(redis, all);
    }
}
