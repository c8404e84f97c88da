package dev.rerankqueue.worker.batch;

import io.smallrye.mutiny.Uni;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Keeps up to {@code depth} Kafka batches of one consumer being processed at once, so the next
 * batch is claimed and its pairs reach the scorer while the previous one is still on the GPU: at
 * low load a job never waits for another job's forward pass. A batch is acknowledged when its own
 * processing ends, in whatever order they end; the connector's throttled commit strategy commits a
 * partition's offset only up to its oldest unacknowledged record, so offsets are still committed
 * strictly in order and never past a job whose result is not stored.
 *
 * <p>{@link #admit} completes (and so lets the connector deliver the next batch) as soon as the
 * batch has started, or, with {@code depth} batches running, when one of them ends. One instance
 * per consumer.
 */
final class BatchPipeline {

    private final int depth;
    private final Deque<Runnable> waiting = new ArrayDeque<>();
    private int running;

    BatchPipeline(int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("a consumer needs room for one batch: " + depth);
        }
        this.depth = depth;
    }

    /**
     * Starts {@code work} on {@code message}'s records once there is room, acknowledging the
     * message when the work completes or refusing it ({@link Message#nack}) when it fails. The
     * returned Uni completes when the work has started.
     */
    Uni<Void> admit(Message<?> message, Supplier<Uni<Void>> work) {
        return Uni.createFrom()
                .emitter(
                        started ->
                                whenRoom(
                                        () -> {
                                            Uni<Void> batch;
                                            try {
                                                batch = work.get();
                                            } catch (RuntimeException e) {
                                                batch = Uni.createFrom().failure(e);
                                            }
                                            batch.subscribe()
                                                    .with(
                                                            ok -> {
                                                                release();
                                                                message.ack();
                                                            },
                                                            failure -> {
                                                                release();
                                                                message.nack(failure);
                                                            });
                                            started.complete(null);
                                        }));
    }

    private void whenRoom(Runnable start) {
        synchronized (this) {
            if (running >= depth) {
                waiting.add(start);
                return;
            }
            running++;
        }
        start.run();
    }

    private void release() {
        Runnable next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                running--;
                return;
            }
        }
        next.run(); // the freed place passes straight to the waiting batch
    }
}
