package dev.rerankqueue.worker.batch;

import dev.rerankqueue.worker.config.WorkerConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A stopping worker finishes what it holds and hands back what it has not started. On shutdown,
 * before the Kafka connector closes, the worker stops starting batches: one delivered from now on
 * is neither scored nor acknowledged (its jobs stay {@code queued}, their offsets uncommitted). The
 * shutdown waits until the batches already being scored are finished, up to {@code
 * rerank.worker.shutdown.drain-timeout}; the connector then commits what was acknowledged and
 * leaves the group, so the partitions move to another worker at once and nothing on them was left
 * half-scored. (Pausing the consumer is not enough: the connector resumes partitions whenever the
 * stream asks for more.)
 */
@ApplicationScoped
public class GracefulStop {

    private static final Logger LOG = Logger.getLogger(GracefulStop.class);

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger handedBack = new AtomicInteger();
    private final Duration drainTimeout;
    private volatile boolean stopping;

    public GracefulStop(WorkerConfig config) {
        this.drainTimeout = config.shutdown().drainTimeout();
    }

    /**
     * Runs one batch, counted as in flight until it ends; once stopping, holds it unacknowledged
     * instead.
     */
    <T> Uni<T> track(Supplier<Uni<T>> batch) {
        return Uni.createFrom()
                .deferred(
                        () -> {
                            if (stopping) {
                                handedBack.incrementAndGet();
                                return Uni.createFrom().nothing();
                            }
                            inFlight.incrementAndGet();
                            return batch.get().onTermination().invoke(inFlight::decrementAndGet);
                        });
    }

    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        long start = System.nanoTime();
        stopping = true;
        int holding = inFlight.get();
        long deadline = start + drainTimeout.toNanos();
        try {
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (inFlight.get() > 0) {
            LOG.warnf(
                    "stopping with %d batch(es) still being scored after %d ms: they are handed back uncommitted and will be"
                            + " scored again by another worker",
                    inFlight.get(), ms);
        } else {
            LOG.infof(
                    "stopping: finished the %d batch(es) being scored in %d ms; %d batch(es) delivered meanwhile handed back unstarted",
                    holding, ms, handedBack.get());
        }
    }
}
