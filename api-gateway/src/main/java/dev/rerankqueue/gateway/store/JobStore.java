package dev.rerankqueue.gateway.store;

import dev.rerankqueue.gateway.api.ApiException;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.TransitionOutcome;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.hash.ReactiveHashCommands;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;


/** The gateway's only door to job state in Redis: reads, and compare-and-set writes through {@link JobTransition}. */
@ApplicationScoped
public class JobStore {

    private final ReactiveRedisDataSource redis;
    private final ReactiveHashCommands<String, String, String> hashes;

    public JobStore(ReactiveRedisDataSource redis) {
        this.redis = redis;
        this.hashes = redis.hash(String.class);
    }

    /** The job's state, or {@code null} when there is no such job. */
    public Uni<JobState> find(String id) {
        return hashes.hgetall(RedisKeys.job(id)).map(h -> JobFields.toState(id, h))
                .onFailure().transform(JobStore::unavailable);
    }

    public Uni<TransitionOutcome> apply(JobTransition t) {
        return redis.execute("EVAL", t.evalArgs()).map(TransitionOutcome::fromReply)
                .onFailure().transform(JobStore::unavailable);
    }

    /** Redis failures become a 503 with Retry-After: the job (if accepted) is safe in Kafka, only reading it waits. */
    private static Throwable unavailable(Throwable e) {
        return e instanceof ApiException ? e : ApiException.storeUnavailable(e.toString());
    }
}
