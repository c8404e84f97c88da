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
 * batch has started, or, with {@code depth} batches running, when one of them ends. Past {@code
 * depth}, up to four times as many batches run while the records of those running stay under {@code
 * lookAheadBytes}: a quiet tenant's job polled behind a busy tenant's batches is claimed and
 * reaches the scorer's turns at once instead of waiting for those batches to be scored, and memory
 * stays bounded. One instance per consumer.
 */
final class BatchPipeline {

    private final int depth;
    private final long lookAheadBytes;
    private final Deque<Waiting> waiting = new ArrayDeque<>();
    private int running;
    private long runningBytes;

    private record Waiting(long bytes, Runnable start) {}

    BatchPipeline(int depth, long lookAheadBytes) {
        if (depth < 1) {
            throw new IllegalArgumentException("a consumer needs room for one batch: " + depth);
        }
        this.depth = depth;
        this.lookAheadBytes = lookAheadBytes;
    }

    /**
     * Starts {@code work} on {@code message}'s records once there is room, acknowledging the
     * message when the work completes or refusing it ({@link Message#nack}) when it fails. The
     * returned Uni completes when the work has started. {@code bytes}: the size of the message's
     * records.
     */
    Uni<Void> admit(Message<?> message, long bytes, Supplier<Uni<Void>> work) {
        return Uni.createFrom()
                .emitter(
                        started ->
                                whenRoom(
                                        bytes,
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
                                                                release(bytes);
                                                                message.ack();
                                                            },
                                                            failure -> {
                                                                release(bytes);
                                                                message.nack(failure);
                                                            });
                                            started.complete(null);
                                        }));
    }

    private void whenRoom(long bytes, Runnable start) {
        synchronized (this) {
            if (!waiting.isEmpty() || !room(bytes)) {
                waiting.add(new Waiting(bytes, start));
                return;
            }
            running++;
            runningBytes += bytes;
        }
        start.run();
    }

    /** Whether a batch of {@code bytes} may start beside those running. */
    private boolean room(long bytes) {
        return running < depth || (running < 4 * depth && runningBytes + bytes <= lookAheadBytes);
    }

    private void release(long bytes) {
        Waiting next;
        synchronized (this) {
            running--;
            runningBytes -= bytes;
            next = waiting.peek();
            if (next == null || !room(next.bytes())) {
                return;
            }
            waiting.poll();
            running++;
            runningBytes += next.bytes();
        }
        next.start().run(); // the freed place passes straight to the waiting batch
    }
}
