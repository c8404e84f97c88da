package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.gateway.admission.StartPredictions;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.store.JobEvent;
import dev.rerankqueue.store.RedisKeys;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The gateway's single subscription to the job-events channel, fanned out to local followers by job
 * id. However many clients follow jobs, Redis sees one subscriber per gateway.
 */
@ApplicationScoped
public class JobEventHub {

    private static final Logger LOG = Logger.getLogger(JobEventHub.class);
    private static final long RESUBSCRIBE_DELAY_MS = 1_000;

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final StartPredictions predictions;
    private final Map<String, Set<Consumer<JobEvent>>> listeners = new ConcurrentHashMap<>();
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private volatile boolean stopping;

    public JobEventHub(
            ReactiveRedisDataSource redis,
            Vertx vertx,
            MeterRegistry metrics,
            StartPredictions predictions) {
        this.redis = redis;
        this.predictions = predictions;
        this.vertx = vertx;
        metrics.gauge("rerank.events.followed.jobs", listeners, Map::size);
    }

    void onStart(@Observes StartupEvent ev) {
        subscribe();
    }

    void onStop(@Observes ShutdownEvent ev) {
        stopping = true;
    }

    /**
     * Whether the subscription is live; followers still see every change through their fallback
     * poll when it is not.
     */
    public boolean isSubscribed() {
        return subscribed.get();
    }

    /**
     * Calls {@code listener} for every event of job {@code id} until the returned handle is closed.
     */
    public AutoCloseable listen(String id, Consumer<JobEvent> listener) {
        listeners.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(listener);
        return () ->
                listeners.computeIfPresent(
                        id,
                        (k, set) -> {
                            set.remove(listener);
                            return set.isEmpty() ? null : set;
                        });
    }

    private void subscribe() {
        if (stopping) {
            return;
        }
        redis.pubsub(String.class)
                .subscribe(RedisKeys.JOB_EVENTS_CHANNEL, this::dispatch, this::lost, e -> lost())
                .subscribe()
                .with(
                        s -> {
                            subscribed.set(true);
                            LOG.infof("subscribed to %s", RedisKeys.JOB_EVENTS_CHANNEL);
                        },
                        e -> {
                            LOG.warnf(
                                    "cannot subscribe to %s yet: %s",
                                    RedisKeys.JOB_EVENTS_CHANNEL, e.toString());
                            lost();
                        });
    }

    private void lost() {
        if (subscribed.getAndSet(false)) {
            LOG.warnf("subscription to %s lost; resubscribing", RedisKeys.JOB_EVENTS_CHANNEL);
        }
        if (!stopping) {
            vertx.setTimer(RESUBSCRIBE_DELAY_MS, t -> subscribe());
        }
    }

    private void dispatch(String message) {
        // most events are of jobs nobody follows on this gateway: only followed jobs' are parsed
        String id = JobEvent.idOf(message);
        boolean predicted = id != null && predictions.follows(id);
        if (id != null && !listeners.containsKey(id) && !predicted) {
            return;
        }
        JobEvent event;
        try {
            event = JobEvent.parse(message);
        } catch (RuntimeException e) {
            LOG.debugf("ignoring unreadable job event: %s", e.getMessage());
            return;
        }
        if (predicted && event.status() != JobStatus.QUEUED) {
            predictions.started(event.id()); // claimed (or ended unclaimed): its wait is known
        }
        Set<Consumer<JobEvent>> set = listeners.get(event.id());
        if (set != null) {
            set.forEach(l -> l.accept(event));
        }
    }
}
