package dev.rerankqueue.worker.store;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.store.JobFields;
import dev.rerankqueue.store.JobProgress;
import dev.rerankqueue.store.JobTransition;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.TransitionOutcome;
import dev.rerankqueue.worker.config.WorkerConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The worker's only door to job state in Redis: reads, and compare-and-set writes through {@link
 * JobTransition}.
 */
@ApplicationScoped
public class JobStateWriter {

    /**
     * Characters of arguments in one call of many writes: about a megabyte, which Redis stores in
     * about a millisecond; a batch of results with their documents goes in several calls.
     */
    static final int MAX_CALL_CHARS = 1 << 20;

    /** {@code EXISTS} of each key: one reply, 1 or 0, per key. */
    private static final String EXISTS_EACH =
            """
            local r = {}
            for i = 1, #KEYS do r[i] = redis.call('EXISTS', KEYS[i]) end
            return r
            """;

    private final ReactiveRedisDataSource redis;
    private final Duration writeRetryBudget;

    public JobStateWriter(ReactiveRedisDataSource redis, WorkerConfig config) {
        this.redis = redis;
        this.writeRetryBudget = config.results().writeRetryBudget();
    }

    /** {@code call} retried while Redis is unreachable, within the write-retry budget. */
    private <T> Uni<T> retried(Uni<T> call) {
        return WriteRetries.within(writeRetryBudget, call);
    }

    /** The job's state, or {@code null} when Redis has none. */
    public Uni<JobState> find(String id) {
        return retried(redis.hash(String.class).hgetall(RedisKeys.job(id)))
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
        return retried(RedisScripts.eval(redis, t.evalArgs())).map(t::outcome);
    }

    /**
     * Applies every write in one call to Redis (or a few, when large results would make one call
     * hold Redis for long: {@link #MAX_CALL_CHARS}), each applied or lost on its own as by {@link
     * #apply}; completes with their outcomes in order.
     */
    public Uni<List<TransitionOutcome>> applyAll(List<JobTransition> writes) {
        if (writes.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<Uni<List<TransitionOutcome>>> calls = new ArrayList<>();
        for (JobTransition.Call call : JobTransition.calls(writes, MAX_CALL_CHARS)) {
            calls.add(retried(RedisScripts.eval(redis, call.evalArgs())).map(call::outcomes));
        }
        if (calls.size() == 1) {
            return calls.get(0);
        }
        return Uni.join()
                .all(calls)
                .andFailFast()
                .map(all -> all.stream().flatMap(List::stream).toList());
    }

    /** Of the jobs {@code ids}, those Redis holds no state for, in one call. */
    public Uni<List<String>> absent(List<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        String[] args = new String[ids.size() + 2];
        args[0] = EXISTS_EACH;
        args[1] = Integer.toString(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            args[i + 2] = RedisKeys.job(ids.get(i));
        }
        return retried(RedisScripts.eval(redis, args))
                .map(
                        reply -> {
                            List<String> absent = new ArrayList<>();
                            int i = 0;
                            for (Response r : reply) {
                                if (r.toInteger() == 0) {
                                    absent.add(ids.get(i));
                                }
                                i++;
                            }
                            return absent;
                        });
    }
}
