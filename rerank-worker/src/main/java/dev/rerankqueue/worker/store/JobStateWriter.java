package dev.rerankqueue.worker.store;

import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.TransitionOutcome;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;


/** The worker's only door to job state in Redis: every write is a compare-and-set {@link JobTransition}. */
@ApplicationScoped
public class JobStateWriter {

    private final ReactiveRedisDataSource redis;

    public JobStateWriter(ReactiveRedisDataSource redis) {
        this.redis = redis;
    }

    public Uni<TransitionOutcome> apply(JobTransition t) {
        return redis.execute("EVAL", t.evalArgs()).map(TransitionOutcome::fromReply);
    }
}
