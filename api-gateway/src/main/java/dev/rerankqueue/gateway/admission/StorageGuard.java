package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.config.Admission;
import dev.rerankqueue.gateway.config.GatewayConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Refuses new jobs (503 {@code storage-full}) while Redis is near its {@code maxmemory}, before
 * Redis itself refuses writes: a job accepted then could not have its state or its result stored.
 * Redis runs with {@code noeviction}, so it never drops an accepted job's state to make room;
 * finished jobs expire with their retention and free it again. Redis's memory is read every {@code
 * rerank.admission.storage-check-interval}; with no {@code maxmemory} set, nothing is refused (and
 * the deployment files all set one).
 */
@ApplicationScoped
public class StorageGuard {

    private static final Logger LOG = Logger.getLogger(StorageGuard.class);

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final Admission config;
    private volatile long used;
    private volatile long max;
    private volatile boolean full;
    private volatile boolean unreadable;
    private long timer = -1;

    public StorageGuard(
            ReactiveRedisDataSource redis,
            Vertx vertx,
            GatewayConfig config,
            MeterRegistry metrics) {
        this.redis = redis;
        this.vertx = vertx;
        this.config = config.admission();
        Gauge.builder(
                        "rerank.redis.memory.used.ratio",
                        this,
                        g -> g.max > 0 ? (double) g.used / g.max : Double.NaN)
                .description(
                        "Redis memory in use as a share of its maxmemory, as the gateway last read it")
                .register(metrics);
    }

    void start(@Observes StartupEvent ignored) {
        timer = vertx.setPeriodic(0, config.storageCheckInterval().toMillis(), t -> read());
    }

    void stop(@Observes ShutdownEvent ignored) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private void read() {
        redis.execute("INFO", "memory")
                .subscribe()
                .with(
                        reply -> {
                            String info = reply.toString();
                            used = field(info, "used_memory");
                            max = field(info, "maxmemory");
                            boolean nowFull = max > 0 && used >= max * config.storageHighWater();
                            if (nowFull != full) {
                                LOG.warnf(
                                        nowFull
                                                ? "Redis holds %d of its %d bytes: refusing new jobs (503 storage-full) until finished jobs expire"
                                                : "Redis holds %d of its %d bytes: accepting jobs again",
                                        used,
                                        max);
                            }
                            full = nowFull;
                            unreadable = false;
                        },
                        this::unreadable);
    }

    /**
     * Said once at WARN (then at DEBUG until a read succeeds): without {@code INFO memory} no job
     * is refused before Redis is full, and an ACL user without {@code +info} is a likely cause.
     */
    private void unreadable(Throwable e) {
        if (unreadable) {
            LOG.debugf("reading Redis memory failed: %s", e.toString());
            return;
        }
        unreadable = true;
        LOG.warnf(
                "cannot read Redis memory (INFO memory: %s): new jobs are not refused before Redis is full;"
                        + " an ACL user needs +info",
                e.getMessage());
    }

    private static long field(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        return 0;
    }

    /** Redis's {@code maxmemory} as last read; 0 while unknown or unlimited. */
    public long maxMemory() {
        return max;
    }

    /** Fails with 503 {@code storage-full} while Redis is over the high-water mark. */
    public void admit() {
        if (full) {
            throw RefusedException.storageFull(used, max, Duration.ofSeconds(30));
        }
    }
}
