package dev.rerankqueue.store;

import dev.rerankqueue.messaging.ModelPool;
import java.util.regex.Pattern;

/** The Redis key schema. Every key the service touches is built here; nothing scans with KEYS. */
public final class RedisKeys {

    /** The one pub/sub channel on which every state write is announced as a {@link JobEvent}. */
    public static final String JOB_EVENTS_CHANNEL = "rerank:job-events";

    public static final String JOB_PREFIX = "rerank:job:";

    private RedisKeys() {}

    /** Hash of a job's state ({@link JobFields}). */
    public static String job(String id) {
        return JOB_PREFIX + id;
    }

    /**
     * Hash of a running job's scores so far, by the index of the pair in the job (the worker's
     * score checkpoint): written as scorer calls end, read by a worker taking the job over, deleted
     * once the job is recorded.
     */
    public static String scoreCheckpoint(String id) {
        return "rerank:checkpoint:" + id;
    }

    /** Prefix of {@link #inFlight(String)}; the transition script appends the tenant itself. */
    public static final String IN_FLIGHT_PREFIX = "rerank:inflight:";

    /**
     * Sorted set of a tenant's accepted, not yet terminal job ids (score = accept time in ms):
     * added by the gateway's quota check, removed by the transition that makes a job terminal.
     */
    /**
     * Prefix of each tenant's job index: a sorted set of job ids scored by creation time (epoch
     * ms), written when a job's state is created, for listing a tenant's jobs newest first.
     */
    public static final String TENANT_JOBS_PREFIX = "rerank:jobs-of:";

    /**
     * The outbox of releases before each tenant had its own ({@link #WEBHOOKS_DUE_OF_PREFIX}): job
     * ids scored by when the next attempt is due (epoch ms). Nothing writes it now; the gateways
     * still drain what it holds, as one more outbox beside the tenants'.
     */
    public static final String WEBHOOKS_DUE = "rerank:webhooks:due";

    /**
     * Prefix of each tenant's webhook outbox: a sorted set of the deliveries (job ids, or {@link
     * #BATCH_WEBHOOK_PREFIX}{@code <id>}) to be made, scored by when the next attempt is due (epoch
     * ms). The gateways' dispatchers take from the tenants in turn, so one tenant's backlog of
     * failing deliveries never delays another's.
     */
    public static final String WEBHOOKS_DUE_OF_PREFIX = "rerank:webhooks:due-of:";

    /**
     * Sorted set of the tenants with a webhook outbox, each scored by its earliest due delivery:
     * where a dispatcher finds whose deliveries are due. Kept with every write to an outbox.
     */
    public static final String WEBHOOK_TENANTS = "rerank:webhooks:tenants";

    /**
     * Sorted set of batches with a webhook that have not ended yet, scored by when to look again
     * (epoch ms); a batch that has ended moves to its tenant's outbox as {@link
     * #BATCH_WEBHOOK_PREFIX}{@code <id>}.
     */
    public static final String WEBHOOK_BATCHES = "rerank:webhooks:batches";

    /** How a batch's delivery is named in an outbox, before its id. */
    public static final String BATCH_WEBHOOK_PREFIX = "batch:";

    /** The webhook outbox of {@code tenant}. */
    public static String webhooksDueOf(String tenant) {
        return WEBHOOKS_DUE_OF_PREFIX + tenant;
    }

    public static String tenantJobs(String tenant) {
        return TENANT_JOBS_PREFIX + tenant;
    }

    /**
     * Suffixes of an {@link #inFlight} set's companions, {@link #inFlightPairs}, {@link
     * #inFlightPools} and {@link #inFlightPoolPairs}: scripts that know only the set's key append
     * them ({@link JobTransition#LEAVE_IN_FLIGHT}).
     */
    static final String IN_FLIGHT_PAIRS = ":pairs";

    static final String IN_FLIGHT_POOLS = ":pool";
    static final String IN_FLIGHT_POOL_PAIRS = ":pool-pairs";

    public static String inFlight(String tenant) {
        return IN_FLIGHT_PREFIX + tenant;
    }

    /**
     * Documents of a tenant's jobs in its {@link #inFlight} set (a counter kept with the set by the
     * same scripts).
     */
    public static String inFlightPairs(String tenant) {
        return inFlight(tenant) + IN_FLIGHT_PAIRS;
    }

    /**
     * The pairs taken for each job in a tenant's {@link #inFlight} set and its model pool (job id
     * to "{@code <pairs> <pool>}"), kept with the set by the same scripts: a job dropped from the
     * set past the retention gives its pairs back.
     */
    public static String inFlightPools(String tenant) {
        return inFlight(tenant) + IN_FLIGHT_POOLS;
    }

    /**
     * Pairs of a tenant's jobs in its {@link #inFlight} set, per model pool (pool name to pairs): a
     * share of one pool's backlog is checked against the tenant's jobs of that pool alone.
     */
    public static String inFlightPoolPairs(String tenant) {
        return inFlight(tenant) + IN_FLIGHT_POOL_PAIRS;
    }

    /**
     * Prefix of a tenant's stored-bytes counters: one per hour (since the epoch) in which the jobs
     * it counts expire, the hour appended.
     */
    public static String storedBytes(String tenant) {
        return "rerank:stored:" + tenant + ":";
    }

    /** Token bucket of a tenant's pairs-per-second quota (hash: tokens, at). */
    public static String pairBucket(String tenant) {
        return "rerank:quota:pairs:" + tenant;
    }

    /** Token bucket of a tenant's tokens-per-second quota (hash: tokens, at). */
    public static String tokenBucket(String tenant) {
        return "rerank:quota:tokens:" + tenant;
    }

    /**
     * Hash of the models workers serve: field = model name, value = when a worker last said it
     * serves it (epoch ms). Workers refresh it every few seconds; the gateway lists the fresh ones
     * at {@code GET /v1/models}.
     */
    public static final String SERVED_MODELS = "rerank:models";

    /**
     * Hash of the pool each served model's workers are in: field = model name, value = {@link
     * ModelPool} name. Written beside {@link #SERVED_MODELS}; gateways send a job to the pool of
     * the model it names. A model missing here is served by the default pool (workers from before
     * pools).
     */
    public static final String MODEL_POOLS = "rerank:models:pools";

    /**
     * Hash of what each worker can score: field = worker id, value = {@link
     * ScorerCapacityAnnouncement}'s wire form (when it was said, epoch ms, and pairs per second).
     * Workers refresh it every second; gateways sum the fresh ones to refuse a burst from its first
     * second.
     */
    public static final String WORKER_CAPACITY = "rerank:capacity";

    /**
     * {@link #WORKER_CAPACITY} of the workers of {@code pool}: that key itself for the default
     * pool, one of its own for another, so that each pool's admission counts only its own workers.
     */
    public static String workerCapacity(ModelPool pool) {
        return pool.isDefault() ? WORKER_CAPACITY : WORKER_CAPACITY + ":" + pool.name();
    }

    /**
     * Hash of the workers alive: field = worker id, value = "{@code <beat> <since>}", when it last
     * said it is alive and when its process started (epoch ms). Workers refresh it every second; a
     * worker that finds a job running elsewhere waits for a live owner rather than score it again.
     */
    public static final String WORKERS_ALIVE = "rerank:workers";

    /**
     * Hash of a bulk submission (tenant, created_at, size); its job ids, in request order, are at
     * {@link #batchJobs}.
     */
    public static String batch(String id) {
        return "rerank:batch:" + id;
    }

    /** List of the job ids of batch {@code id}, in the order of the request. */
    public static String batchJobs(String id) {
        return "rerank:batch:" + id + ":jobs";
    }

    /** Idempotency record of a tenant's {@code Idempotency-Key}. */
    public static String idempotency(String tenant, String key) {
        return "rerank:idem:" + tenant + ":" + key;
    }

    private static final Pattern ID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /**
     * Whether {@code id} is a job or batch id (a lower-case UUID): only such ids are put into keys,
     * so that no id a client sends can name another key ({@code <batch>:jobs}) or another tenant's
     * data.
     */
    public static boolean isId(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
