package dev.rerankqueue.worker.store;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobProgress;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.TransitionOutcome;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The worker's only door to job state in Redis: reads, and compare-and-set writes through {@link
 * JobTransition}.
 */
@ApplicationScoped
public class JobStateWriter {

    private final ReactiveRedisDataSource redis;

    public JobStateWriter(ReactiveRedisDataSource redis) {
        this.redis = redis;
    }

    /** The job's state, or {@code null} when Redis has none. */
    public Uni<JobState> find(String id) {
        return redis.hash(String.class)
                .hgetall(RedisKeys.job(id))
                .map(h -> JobFields.toState(id, h));
    }

    /**
     * Records how many pairs of a running job are scored ({@link JobProgress}); a no-op once it is
     * not running.
     */
    public Uni<Void> progress(JobProgress p) {
        return RedisScripts.eval(redis, p.evalArgs()).replaceWithVoid();
    }

    public Uni<TransitionOutcome> apply(JobTransition t) {
        return RedisScripts.eval(redis, t.evalArgs()).map(TransitionOutcome::fromReply);
    }
}
