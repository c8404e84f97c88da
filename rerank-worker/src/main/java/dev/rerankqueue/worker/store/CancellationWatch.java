package dev.rerankqueue.worker.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.store.JobEvent;
import dev.rerankqueue.store.RedisKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Jobs cancelled while this worker may hold them: the worker listens to the job-events channel (the
 * gateway announces every cancel there), so that the scorer calls of a cancelled job not yet sent
 * to the model are dropped instead of keeping the GPU busy for no one. A missed message costs only
 * GPU time: the job's result is discarded all the same, since its state is no longer the running
 * version the worker claimed.
 */
@ApplicationScoped
public class CancellationWatch {

    private static final Logger LOG = Logger.getLogger(CancellationWatch.class);
    private static final long RESUBSCRIBE_DELAY_MS = 1_000;

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;

    /**
     * Ids of cancelled jobs, remembered for as long as a job could still be in a worker's hands.
     */
    private final Cache<String, Boolean> cancelled =
            Caffeine.newBuilder()
                    .maximumSize(100_000)
                    .expireAfterWrite(Duration.ofHours(1))
                    .build();

    private final AtomicBoolean subscribed = new AtomicBoolean();
    private volatile boolean stopping;

    public CancellationWatch(ReactiveRedisDataSource redis, Vertx vertx) {
        this.redis = redis;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent ignored) {
        subscribe();
    }

    void stop(@Observes ShutdownEvent ignored) {
        stopping = true;
    }

    /** Whether job {@code id} was cancelled. */
    public boolean isCancelled(String id) {
        return cancelled.getIfPresent(id) != null;
    }

    /** Marks job {@code id} cancelled (as an event from the channel does). */
    public void cancelled(String id) {
        cancelled.put(id, Boolean.TRUE);
    }

    private void subscribe() {
        if (stopping) {
            return;
        }
        redis.pubsub(String.class)
                .subscribe(RedisKeys.JOB_EVENTS_CHANNEL, this::onEvent, this::lost, e -> lost())
                .subscribe()
                .with(s -> subscribed.set(true), e -> lost());
    }

    private void onEvent(String message) {
        try {
            JobEvent event = JobEvent.parse(message);
            if (event.status() == JobStatus.CANCELLED) {
                cancelled(event.id());
            }
        } catch (RuntimeException e) {
            LOG.debugf("ignoring unreadable job event: %s", e.getMessage());
        }
    }

    private void lost() {
        if (subscribed.getAndSet(false)) {
            LOG.warnf(
                    "subscription to %s lost; resubscribing (cancelled jobs may be scored meanwhile)",
                    RedisKeys.JOB_EVENTS_CHANNEL);
        }
        if (!stopping) {
            vertx.setTimer(RESUBSCRIBE_DELAY_MS, t -> subscribe());
        }
    }
}
