package dev.rerankqueue.worker.store;

import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.store.RedisKeys;
import dev.rerankqueue.store.ScorerCapacityAnnouncement;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.config.WorkerId;
import dev.rerankqueue.worker.scoring.MicroBatcher;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Tells the gateways, through Redis, which model this worker serves ({@link
 * RedisKeys#SERVED_MODELS}, so that {@code GET /v1/models} lists what is really being served), in
 * which pool ({@link RedisKeys#MODEL_POOLS}, where gateways send that model's jobs) and how many
 * pairs and charged tokens per second it scores ({@link RedisKeys#WORKER_CAPACITY}: the configured
 * figures, or the measured ones once there are), so that admission holds from the first second of a
 * burst. A worker that stops announcing drops off both.
 */
@ApplicationScoped
public class ServedModelAnnouncer {

    private final ReactiveRedisDataSource redis;
    private final MicroBatcher scorer;
    private final String workerId;
    private final ModelPool pool;
    private final String capacityKey;
    private final Optional<Double> configured;
    private final Optional<Double> configuredTokens;
    private volatile double announced = Double.NaN;
    private volatile double announcedTokens = Double.NaN;

    public ServedModelAnnouncer(
            ReactiveRedisDataSource redis,
            MicroBatcher scorer,
            WorkerConfig config,
            MeterRegistry metrics) {
        this.redis = redis;
        this.scorer = scorer;
        this.workerId = WorkerId.of(config);
        this.pool = ModelPool.of(config.pool());
        this.capacityKey = RedisKeys.workerCapacity(pool);
        this.configured = config.capacity().pairsPerSecond();
        this.configuredTokens = config.capacity().tokensPerSecond();
        Gauge.builder("rerank.worker.capacity", this, a -> a.announced)
                .baseUnit("pairs")
                .description(
                        "Pairs per second this worker announces to the gateways (configured, or measured over busy scorer time)")
                .register(metrics);
        Gauge.builder("rerank.worker.capacity.tokens", this, a -> a.announcedTokens)
                .description(
                        "Charged tokens per second this worker announces to the gateways (configured, or measured over"
                                + " busy scorer time)")
                .register(metrics);
    }

    @Scheduled(every = "5s", skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> announce() {
        // the pool first: a gateway that sees the model fresh knows where its jobs go
        return redis.hash(String.class)
                .hset(RedisKeys.MODEL_POOLS, scorer.model(), pool.name())
                .chain(
                        () ->
                                redis.hash(String.class)
                                        .hset(
                                                RedisKeys.SERVED_MODELS,
                                                scorer.model(),
                                                Long.toString(System.currentTimeMillis())))
                .onFailure()
                .recoverWithNull()
                .replaceWithVoid();
    }

    @Scheduled(every = "1s", skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    Uni<Void> announceCapacity() {
        OptionalDouble measured = scorer.capacity().tick(System.nanoTime());
        OptionalDouble measuredTokens = scorer.capacity().tokensPerSecond();
        double rate = configured.orElse(measured.isPresent() ? measured.getAsDouble() : Double.NaN);
        // a configured pairs figure is announced alone, unless tokens are configured too: a
        // measured token rate beside it would overrule what the operator set
        double tokens =
                configuredTokens.orElse(
                        configured.isEmpty() && measuredTokens.isPresent()
                                ? measuredTokens.getAsDouble()
                                : Double.NaN);
        if (Double.isNaN(rate)) {
            return Uni.createFrom()
                    .voidItem(); // nothing known yet: gateways wait for the committed drain rate
        }
        announced = rate;
        announcedTokens = tokens;
        return redis.hash(String.class)
                .hset(
                        capacityKey,
                        workerId,
                        new ScorerCapacityAnnouncement(System.currentTimeMillis(), rate, tokens)
                                .wire())
                .onFailure()
                .recoverWithNull()
                .replaceWithVoid();
    }

    /** A worker that stops says so, so that gateways stop counting its capacity at once. */
    void stop(@Observes ShutdownEvent ignored) {
        try {
            redis.hash(String.class)
                    .hdel(capacityKey, workerId)
                    .await()
                    .atMost(Duration.ofSeconds(1));
        } catch (RuntimeException e) {
            // Redis away or slow: its entry goes stale and gateways drop it within seconds
        }
    }
}
