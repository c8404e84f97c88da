package dev.rerankqueue.worker.store;

import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.TransitionOutcome;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;

/** The worker's only door to job state in Redis: every write is a compare-and-set {@link JobTransition}. */
@ApplicationScoped
public class JobStateWriter {

    private final ReactiveRedisDataSource redis;

    public JobStateWriter(ReactiveRedisDataSource redis) {
        this.redis = redis;
    }

    public Uni<TransitionOutcome> apply(JobTransition t) {
        List<String> args = new ArrayList<>(t.args().size() + 3);
        args.add(JobTransition.SCRIPT);
        args.add("1");
        args.add(t.key());
        args.addAll(t.args());
        return redis.execute("EVAL", args.toArray(String[]::new)).map(JobStateWriter::outcome);
    }

    private static TransitionOutcome outcome(Response r) {
        List<String> reply = new ArrayList<>(3);
        r.forEach(x -> reply.add(x == null ? null : x.toString()));
        return TransitionOutcome.fromReply(reply);
    }
}
