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

    static final String ACQUIRE =
            """
            local set, bucket, pairsKey, tokenBucket = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
            local poolOf, poolPairsKey = KEYS[5], KEYS[6]
            local id, now, stale = ARGV[1], tonumber(ARGV[2]), ARGV[3]
            local maxInFlight, rate, capacity, cost = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
            local maxPairs = tonumber(ARGV[8])
            local tokenRate, tokenCapacity, tokenCost = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
            -- stored bytes: one counter per hour in which jobs expire; the live ones are summed
            local storedLimit, storedCost, storedPrefix = tonumber(ARGV[12]), tonumber(ARGV[13]), ARGV[14]
            local fromHour, toHour, expiryHour = tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[17])
            -- of the job's pool: the tenant's share of its backlog, and the pairs the tenant may have
            -- queued and running there before its jobs go to the overflow topic
            local pool, sharePairs, frontPairs = ARGV[19], tonumber(ARGV[20]), tonumber(ARGV[18])
            if storedLimit > 0 then
              local stored = 0
              for h = fromHour, toHour do stored = stored + tonumber(redis.call('GET', storedPrefix .. h) or '0') end
              if stored > 0 and stored + storedCost > storedLimit then return {'stored', tostring(stored)} end
            end
            local tracked = maxInFlight > 0 or maxPairs > 0 or sharePairs > 0 or frontPairs > 0
            local poolPairs = 0
            if tracked then
              redis.call('ZREMRANGEBYSCORE', set, '-inf', stale)
              local n = redis.call('ZCARD', set)
              if n == 0 then redis.call('DEL', pairsKey, poolOf, poolPairsKey) end
              if maxInFlight > 0 and n >= maxInFlight then return {'in-flight', tostring(n)} end
              local pairs = tonumber(redis.call('GET', pairsKey) or '0')
              if maxPairs > 0 and pairs > 0 and pairs + cost > maxPairs then return {'in-flight-pairs', tostring(pairs)} end
              poolPairs = tonumber(redis.call('HGET', poolPairsKey, pool) or '0')
              if sharePairs > 0 and poolPairs > 0 and poolPairs + cost > sharePairs then return {'backlog-share', tostring(poolPairs)} end
            end
            -- each bucket: what it holds now, or the wait until it holds the cost (a cost larger than
            -- the bucket passes when the bucket is full); nothing is taken unless every bucket has room
            local function level(key, r, cap, c)
              local held = cap
              local b = redis.call('HMGET', key, 'tokens', 'at')
              if b[1] then held = math.min(cap, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * r / 1000) end
              local need = math.min(c, cap)
              if held < need then return held, math.ceil((need - held) * 1000 / r) end
              return held, nil
            end
            local function take(key, r, cap, c, held)
              held = held - c
              redis.call('HSET', key, 'tokens', tostring(held), 'at', tostring(now))
              redis.call('PEXPIRE', key, math.ceil((cap - held) * 1000 / r) + 1000)
            end
            local pairsHeld, tokensHeld, wait
            if rate > 0 then
              pairsHeld, wait = level(bucket, rate, capacity, cost)
              if wait then return {'pairs', tostring(wait)} end
            end
            if tokenRate > 0 then
              tokensHeld, wait = level(tokenBucket, tokenRate, tokenCapacity, tokenCost)
              if wait then return {'tokens', tostring(wait)} end
            end
            if rate > 0 then take(bucket, rate, capacity, cost, pairsHeld) end
            if tokenRate > 0 then take(tokenBucket, tokenRate, tokenCapacity, tokenCost, tokensHeld) end
            if tracked then
              redis.call('ZADD', set, now, id)
              redis.call('INCRBY', pairsKey, cost)
              redis.call('HSET', poolOf, id, pool)
              redis.call('HINCRBY', poolPairsKey, pool, cost)
            end
            if storedLimit > 0 then
              local bucket = storedPrefix .. expiryHour
              redis.call('INCRBY', bucket, storedCost)
              redis.call('PEXPIREAT', bucket, (expiryHour + 1) * 3600000 + 60000)
            end
            if frontPairs > 0 and poolPairs + cost > frontPairs then return {'ok', 'overflow'} end
            return {'ok', ''}
            """;

    static final String RELEASE =
            """
            if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
              redis.call('DECRBY', KEYS[3], ARGV[2])
              local pool = redis.call('HGET', KEYS[5], ARGV[1])
              if pool then
                redis.call('HDEL', KEYS[5], ARGV[1])
                redis.call('HINCRBY', KEYS[6], pool, -tonumber(ARGV[2]))
              end
            end
            if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HINCRBYFLOAT', KEYS[2], 'tokens', ARGV[2]) end
            if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('HINCRBYFLOAT', KEYS[4], 'tokens', ARGV[3]) end
            if ARGV[4] ~= '' and redis.call('EXISTS', ARGV[4]) == 1 then redis.call('DECRBY', ARGV[4], ARGV[5]) end
            return 1
            """;

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
        long configuredPairs = q.maxInFlightPairs(job.tenant());
        // a share protects other tenants: with one tenant there are none
        double share = tenants.severalTenants() ? q.maxBacklogShare(job.tenant()) : 0;
        long sharePairs = backlog.tenantPairsLimit(share, pool);
        long maxPairs = configuredPairs;
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
                                ACQUIRE,
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
                        RELEASE,
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
