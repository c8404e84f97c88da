package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.config.Admission;
import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.store.RedisKeys;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Admission control on the backlog, per {@link ModelPool}: each pool's jobs wait only for that
 * pool's backlog and drain at its workers' rate ({@link PoolBacklog}), so a flood of one model
 * never refuses a job of another. One background thread samples every pool known (the default one,
 * those of the models the workers announce, as {@link ServedModels} reads them from {@link
 * RedisKeys#MODEL_POOLS}, and any a job was routed to) every {@code
 * rerank.admission.sample-interval}.
 */
@ApplicationScoped
public class BacklogAdmission {

    private static final Logger LOG = Logger.getLogger(BacklogAdmission.class);

    private final Admission config;
    private final Map<String, Object> kafkaConfig;
    private final ReactiveRedisDataSource redis;
    private final MeterRegistry metrics;
    private final StartPredictions predictions;
    private final ServedModels served;
    private final Map<ModelPool, PoolBacklog> pools = new ConcurrentHashMap<>();

    private ScheduledExecutorService sampler;
    private ConsumerGroupLag lag;

    public BacklogAdmission(
            GatewayConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            ReactiveRedisDataSource redis,
            MeterRegistry metrics,
            StartPredictions predictions,
            ServedModels served) {
        this.config = config.admission();
        this.kafkaConfig = kafkaConfig;
        this.redis = redis;
        this.metrics = metrics;
        this.predictions = predictions;
        this.served = served;
        pool(ModelPool.DEFAULT_POOL);
    }

    void start(@Observes StartupEvent ignored) {
        if (!config.enabled()) {
            return;
        }
        lag = new ConsumerGroupLag(kafkaConfig);
        sampler =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "backlog-sampler");
                            t.setDaemon(true);
                            return t;
                        });
        long every = config.sampleInterval().toMillis();
        sampler.scheduleWithFixedDelay(this::sampleQuietly, 0, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (lag != null) {
            lag.close();
        }
    }

    /** The backlog of {@code pool}, followed from now on. */
    PoolBacklog pool(ModelPool pool) {
        return pools.computeIfAbsent(pool, p -> new PoolBacklog(p, config, metrics, predictions));
    }

    /** {@link PoolBacklog#admit} in {@code pool}. */
    public Optional<Duration> admit(Duration limit, RerankJob job, ModelPool pool) {
        return pool(pool).admit(limit, job);
    }

    /** {@link PoolBacklog#admitOverflow} in {@code pool}. */
    public Optional<Duration> admitOverflow(Duration limit, RerankJob job, ModelPool pool) {
        return pool(pool).admitOverflow(limit, job);
    }

    /** Counts an accepted job towards its pool's and topic's backlog until the next sample. */
    public void accepted(ModelPool pool, Priority lane, boolean overflow) {
        pool(pool).accepted(lane, overflow);
    }

    /** {@link PoolBacklog#tenantPairsLimit} of {@code pool}'s drain. */
    public long tenantPairsLimit(double share, ModelPool pool) {
        return pool(pool).tenantPairsLimit(share);
    }

    /** {@link PoolBacklog#pairsDrainedIn} by {@code pool}'s workers. */
    public long pairsDrainedIn(double seconds, ModelPool pool) {
        return pool(pool).pairsDrainedIn(seconds);
    }

    private void sampleQuietly() {
        Set<ModelPool> sampled = new TreeSet<>((a, b) -> a.name().compareTo(b.name()));
        sampled.addAll(pools.keySet());
        try {
            // the announcements as the router reads them (cached for rerank.models.refresh)
            served.all()
                    .await()
                    .atMost(Duration.ofSeconds(2))
                    .values()
                    .forEach(model -> sampled.add(model.pool()));
        } catch (RuntimeException e) {
            LOG.debugf("model pools unreadable: %s", e.toString());
        }
        for (ModelPool p : sampled) {
            try {
                pool(p).sample(capacity(p), lag);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.debugf("backlog sample of pool %s failed: %s", p, e.toString());
            }
        }
    }

    /** The capacity announcements of {@code pool}'s workers; none when unreadable. */
    private Map<String, String> capacity(ModelPool pool) {
        try {
            return redis.hash(String.class)
                    .hgetall(RedisKeys.workerCapacity(pool))
                    .await()
                    .atMost(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            // unknown: fall back to the measured rate alone
            LOG.debugf("capacity announcements unreadable: %s", e.toString());
            return Map.of();
        }
    }
}
