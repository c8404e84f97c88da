package dev.rerankqueue.worker.store;

import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.worker.scoring.MicroBatcher;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Tells the gateway which model this worker serves, through Redis ({@link RedisKeys#SERVED_MODELS}), so that
 * {@code GET /v1/models} lists what is really being served. A worker that stops announcing drops off the list.
 */
@ApplicationScoped
public class ServedModelAnnouncer {

    private final ReactiveRedisDataSource redis;
    private final MicroBatcher scorer;

    public ServedModelAnnouncer(ReactiveRedisDataSource redis, MicroBatcher scorer) {
        this.redis = redis;
        this.scorer = scorer;
    }

    @Scheduled(every = "5s", skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> announce() {
        return redis.hash(String.class).hset(RedisKeys.SERVED_MODELS, scorer.model(), Long.toString(System.currentTimeMillis()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }
}
