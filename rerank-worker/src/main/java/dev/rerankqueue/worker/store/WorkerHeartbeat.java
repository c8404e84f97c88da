package dev.rerankqueue.worker.store;

import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.config.WorkerId;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/**
 * Says every second, in Redis ({@link RedisKeys#WORKERS_ALIVE}), that this worker process is alive
 * and since when, so that another worker handed one of its running jobs (partitions moved while it
 * scored them) can tell a live owner, whose result is coming, from a dead one, or from an earlier
 * process of the same name, whose job must be taken over.
 */
@ApplicationScoped
public class WorkerHeartbeat {

    /** A beat older than this is a dead worker's. */
    static final long FRESH_MS = 3_000;

    /** An entry silent this long is dropped. */
    static final long FORGET_MS = 3_600_000;

    private final ReactiveRedisDataSource redis;
    private final String workerId;
    private final long since = System.currentTimeMillis();
    private long beats;

    public WorkerHeartbeat(ReactiveRedisDataSource redis, WorkerConfig config) {
        this.redis = redis;
        this.workerId = WorkerId.of(config);
    }

    @Scheduled(every = "1s", skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> beat() {
        long now = System.currentTimeMillis();
        return redis.hash(String.class)
                .hset(RedisKeys.WORKERS_ALIVE, workerId, now + " " + since)
                .chain(() -> ++beats % 600 == 0 ? forgetDead(now) : Uni.createFrom().voidItem())
                .onFailure()
                .recoverWithNull()
                .replaceWithVoid();
    }

    /**
     * Every ten minutes: drops the entries of workers silent for an hour (pods come and go with new
     * names). A stopping worker leaves its entry to go stale: it may still be finishing jobs.
     */
    private Uni<Void> forgetDead(long now) {
        return redis.hash(String.class)
                .hgetall(RedisKeys.WORKERS_ALIVE)
                .chain(
                        all -> {
                            String[] dead =
                                    all.entrySet().stream()
                                            .filter(e -> silentFor(e.getValue(), now) > FORGET_MS)
                                            .map(Map.Entry::getKey)
                                            .toArray(String[]::new);
                            return dead.length == 0
                                    ? Uni.createFrom().voidItem()
                                    : redis.hash(String.class)
                                            .hdel(RedisKeys.WORKERS_ALIVE, dead)
                                            .replaceWithVoid();
                        });
    }

    private static long silentFor(String value, long now) {
        try {
            return now - Long.parseLong(value.split(" ")[0]);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Whether the claim that worker {@code worker} made at {@code claimedAt} (epoch ms) is still
     * held by a live process: the worker beat within the last seconds, and its process started
     * before the claim. False for this worker itself (a job of its own found running again is one
     * it no longer scores).
     */
    public Uni<Boolean> holds(String worker, long claimedAt) {
        if (worker == null || worker.equals(workerId)) {
            return Uni.createFrom().item(false);
        }
        return redis.hash(String.class)
                .hget(RedisKeys.WORKERS_ALIVE, worker)
                .map(value -> holds(value, claimedAt, System.currentTimeMillis()))
                .onFailure()
                .recoverWithItem(false);
    }

    static boolean holds(String value, long claimedAt, long now) {
        if (value == null) {
            return false;
        }
        String[] parts = value.split(" ");
        try {
            long beat = Long.parseLong(parts[0]);
            long started = parts.length > 1 ? Long.parseLong(parts[1]) : Long.MAX_VALUE;
            return now - beat <= FRESH_MS && started <= claimedAt;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
