package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.messaging.ModelPool;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How far the backlog's predicted waits fall from the starts that follow them, learnt from this
 * gateway's own jobs, and taken off the next predictions. The wait predicted from the consumer
 * group's committed lag counts work the lag cannot tell apart from waiting work: jobs whose results
 * are stored while their Kafka batch is not acknowledged yet, and offsets not committed yet (the
 * workers commit every 500 ms). How much that is depends on the load and the workers' batches, so
 * it is measured rather than modelled: for each job it accepts with a prediction, the gateway notes
 * the time and the predicted wait; when the job's claim is announced on the job-events channel (its
 * {@code running} event, the {@code started_at} of its view), the difference between the predicted
 * and the real wait moves a running mean of the error, which later predictions are corrected by.
 * The jobs followed are bounded ({@link #MAX_TRACKED}; the oldest are forgotten).
 *
 * <p>Each model pool learns its own error: its workers' batches, and so the work its lag cannot
 * tell apart, are its own.
 */
@ApplicationScoped
public class StartPredictions {

    /** Jobs whose start is waited for at once; past it the oldest are forgotten. */
    static final int MAX_TRACKED = 10_000;

    /** Weight of one observed start in the running mean: about the last 20 starts count. */
    static final double WEIGHT = 0.05;

    /** What one pool's starts taught: the running means of the error and of its deviation. */
    private static final class Learnt {
        double errorMillis;
        double deviationMillis;
    }

    /** A tracked job: when it was predicted (nanoTime), the wait predicted (ms), its pool's. */
    private record Tracked(long at, long waitMillis, Learnt pool) {}

    private final Map<String, Tracked> tracked =
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Tracked> eldest) {
                    return size() > MAX_TRACKED;
                }
            };

    /** The size of {@link #tracked}, read without its lock. */
    private volatile int tracking;

    private final Map<ModelPool, Learnt> pools = new HashMap<>();
    private final MeterRegistry metrics;

    private final boolean enabled;

    /**
     * Predictions longer than this (the admission's max backlog) are not learnt from: they come
     * from a drain rate barely measured yet, and one such outlier would widen the deadline margin
     * (mean deviation × deviations) to many minutes for every later deadline.
     */
    private final long learnUpToMillis;

    private final double deviations;

    @Inject
    public StartPredictions(MeterRegistry metrics, GatewayConfig config) {
        this(
                metrics,
                config.admission().learnStartError(),
                config.admission().deadlineDeviations(),
                config.admission().maxBacklog().toMillis());
    }

    StartPredictions(MeterRegistry metrics, boolean enabled, double deviations) {
        this(metrics, enabled, deviations, Long.MAX_VALUE);
    }

    /**
     * With {@code enabled} false, every prediction is promised as the backlog puts it; a deadline
     * is checked against the corrected wait plus {@code deviations} mean deviations.
     */
    StartPredictions(
            MeterRegistry metrics, boolean enabled, double deviations, long learnUpToMillis) {
        this.learnUpToMillis = learnUpToMillis;
        this.enabled = enabled;
        this.deviations = deviations;
        this.metrics = metrics;
    }

    /** What {@code pool}'s starts taught so far; its gauge registered with its first use. */
    private Learnt of(ModelPool pool) {
        return pools.computeIfAbsent(
                pool,
                p -> {
                    Learnt learnt = new Learnt();
                    Gauge.builder(
                                    "rerank.admission.start.prediction.error.seconds",
                                    this,
                                    self -> self.errorMillis(p) / 1000.0)
                            .description(
                                    "Mean of predicted minus real waits before a job starts,"
                                            + " taken off the next predictions")
                            .tag("pool", p.name())
                            .register(metrics);
                    return learnt;
                });
    }

    /**
     * The wait to promise for a job whose wait the backlog puts at {@code raw}: {@code raw} less
     * the mean error of recent predictions of {@code pool} (never below zero).
     */
    Duration corrected(ModelPool pool, Duration raw) {
        if (!enabled) {
            return raw;
        }
        return Duration.ofMillis(Math.max(0, raw.toMillis() - Math.round(errorMillis(pool))));
    }

    /**
     * The latest wait to expect for a job whose wait the backlog puts at {@code raw}: the corrected
     * wait plus the configured number of mean deviations of recent predictions. What a deadline is
     * checked against.
     */
    synchronized Duration latest(ModelPool pool, Duration raw) {
        if (!enabled) {
            return raw;
        }
        return corrected(pool, raw).plusMillis(Math.round(deviations * of(pool).deviationMillis));
    }

    /**
     * Follows job {@code id} of {@code pool}, predicted now to wait {@code raw} (before
     * correction); nothing when learning is off.
     */
    synchronized void predicted(String id, ModelPool pool, Duration raw) {
        if (enabled) {
            tracked.put(id, new Tracked(System.nanoTime(), raw.toMillis(), of(pool)));
            tracking = tracked.size();
        }
    }

    /**
     * Whether job {@code id}'s start is waited for. Asked for every job event the gateway receives:
     * without a lock while nothing is followed.
     */
    public boolean follows(String id) {
        if (tracking == 0) {
            return false;
        }
        synchronized (this) {
            return tracked.containsKey(id);
        }
    }

    /** Job {@code id} was claimed by a worker now: its real wait is known. */
    public void started(String id) {
        started(id, System.nanoTime());
    }

    synchronized void started(String id, long nowNanos) {
        Tracked p = tracked.remove(id);
        if (p == null) {
            return;
        }
        tracking = tracked.size();
        if (p.waitMillis() > learnUpToMillis) {
            return;
        }
        double waited = (nowNanos - p.at()) / 1e6;
        double error = p.waitMillis() - waited;
        Learnt l = p.pool();
        l.deviationMillis += WEIGHT * (Math.abs(error - l.errorMillis) - l.deviationMillis);
        l.errorMillis += WEIGHT * (error - l.errorMillis);
    }

    /**
     * The running mean of {@code pool}'s predicted minus real waits, ms (positive: predictions too
     * long).
     */
    synchronized double errorMillis(ModelPool pool) {
        return of(pool).errorMillis;
    }
}
