package dev.rerankqueue.gateway.store;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.RedisKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Bulk submissions in Redis: which jobs belong to a batch, and their statuses. */
@ApplicationScoped
public class BatchStore {

    /** A batch as stored: its owner, when it was accepted, and its job ids in request order. */
    public record Batch(
            String id,
            String tenant,
            long createdAt,
            List<String> jobIds,
            Map<String, String> metadata,
            String webhook) {}

    private final ReactiveRedisDataSource redis;

    private final JobStore jobs;

    public BatchStore(ReactiveRedisDataSource redis, JobStore jobs) {
        this.redis = redis;
        this.jobs = jobs;
    }

    /**
     * Records a batch (its job list first, then the hash that makes it visible), both expiring
     * after {@code retention}; a batch with a webhook is watched until it ends.
     */
    public Uni<Void> save(Batch batch, Duration retention) {
        String jobs = RedisKeys.batchJobs(batch.id());
        String hash = RedisKeys.batch(batch.id());
        return redis.key()
                .del(jobs)
                .chain(
                        () ->
                                redis.list(String.class)
                                        .rpush(jobs, batch.jobIds().toArray(String[]::new)))
                .chain(() -> redis.key().expire(jobs, retention))
                .chain(() -> redis.hash(String.class).hset(hash, fields(batch)))
                .chain(() -> redis.key().expire(hash, retention))
                .chain(
                        () ->
                                batch.webhook() == null
                                        ? Uni.createFrom().voidItem()
                                        : redis.sortedSet(String.class)
                                                .zadd(
                                                        RedisKeys.WEBHOOK_BATCHES,
                                                        System.currentTimeMillis(),
                                                        batch.id())
                                                .replaceWithVoid())
                .onFailure()
                .transform(e -> StoreException.unavailable(e.toString()))
                .replaceWithVoid();
    }

    private static Map<String, String> fields(Batch batch) {
        Map<String, String> fields = new HashMap<>();
        fields.put(JobFields.TENANT, batch.tenant());
        fields.put(JobFields.CREATED_AT, Long.toString(batch.createdAt()));
        fields.put("size", Integer.toString(batch.jobIds().size()));
        if (batch.metadata() != null && !batch.metadata().isEmpty()) {
            fields.put(JobFields.METADATA, JobCodec.toJson(batch.metadata()));
        }
        if (batch.webhook() != null) {
            fields.put(JobFields.WEBHOOK, batch.webhook());
        }
        return fields;
    }

    /** The batch, or {@code null} when it does not exist or belongs to another tenant. */
    public Uni<Batch> find(String id, String tenant) {
        return load(id).map(b -> b == null || !tenant.equals(b.tenant()) ? null : b);
    }

    /** The batch whoever owns it, or {@code null} when it does not exist (any more). */
    public Uni<Batch> load(String id) {
        if (!RedisKeys.isId(id)) { // <batch>:jobs would name the batch's job list
            return Uni.createFrom().nullItem();
        }
        return redis.hash(String.class)
                .hgetall(RedisKeys.batch(id))
                .chain(
                        h ->
                                h.isEmpty()
                                        ? Uni.createFrom().<Batch>nullItem()
                                        : redis.list(String.class)
                                                .lrange(RedisKeys.batchJobs(id), 0, -1)
                                                .map(ids -> batch(id, h, ids)))
                .onFailure()
                .transform(
                        e ->
                                e instanceof ApiException
                                        ? e
                                        : StoreException.unavailable(e.toString()));
    }

    private static Batch batch(String id, Map<String, String> h, List<String> ids) {
        return new Batch(
                id,
                h.get(JobFields.TENANT),
                Long.parseLong(h.get(JobFields.CREATED_AT)),
                ids,
                metadata(h.get(JobFields.METADATA)),
                h.get(JobFields.WEBHOOK));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> metadata(String json) {
        return json == null ? null : JobCodec.fromJson(json, Map.class);
    }

    /**
     * The batch, or a 404 {@link ApiException} when it does not exist or belongs to another tenant.
     */
    public Uni<Batch> require(String id, String tenant) {
        return find(id, tenant)
                .map(
                        b -> {
                            if (b == null) {
                                throw StoreException.batchNotFound(id);
                            }
                            return b;
                        });
    }

    /**
     * Status of each job, in order; {@code null} for a job whose state is gone (expired, or Redis
     * lost it before a worker saw it). One round trip per {@value JobStore#KEYS_PER_READ} jobs, not
     * one per job.
     */
    public Uni<List<JobStatus>> statuses(List<String> jobIds) {
        return jobs.statuses(jobIds);
    }
}
