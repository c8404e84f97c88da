package dev.rerankqueue.bench.emulator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One emulated GPU scheduled as vLLM schedules a pooling model: every step takes waiting sequences
 * in arrival order (with {@code --scheduling-policy priority}: by request priority, then arrival)
 * up to {@code max-num-seqs} and {@code max-num-batched-tokens} (continuous batching: what arrives
 * during a step joins the next one), runs them as one forward pass, and holds the GPU for the
 * {@link CostModel}'s time of that pass.
 */
public final class GpuEngine implements AutoCloseable {

    /** A waiting sequence: lower {@code priority} first, then arrival order. */
    private record Sequence(int tokens, int priority, long arrival, CompletableFuture<Void> done) {}

    private final CostModel model;
    private final int maxNumSeqs;
    private final int maxBatchedTokens;
    private volatile double timeScale;
    private final AtomicLong aborted = new AtomicLong();
    private final PriorityBlockingQueue<Sequence> waiting =
            new PriorityBlockingQueue<>(
                    1024,
                    Comparator.comparingInt(Sequence::priority)
                            .thenComparingLong(Sequence::arrival));
    private final AtomicLong arrivals = new AtomicLong();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong busyNanos = new AtomicLong();
    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong sequences = new AtomicLong();
    private final AtomicLong tokens = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * @param timeScale 1.0 runs at the calibrated speed; 2.0 is a GPU twice as slow
     */
    public GpuEngine(CostModel model, int maxNumSeqs, int maxBatchedTokens, double timeScale) {
        this.model = model;
        this.maxNumSeqs = maxNumSeqs;
        this.maxBatchedTokens = maxBatchedTokens;
        this.timeScale = timeScale;
        this.thread = new Thread(this::loop, "emulated-gpu");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Queues one sequence per entry in arrival order; completes when all of them have been through
     * a forward pass.
     */
    public CompletableFuture<Void> submit(int[] sequenceTokens) {
        return submit(sequenceTokens, 0);
    }

    /**
     * As {@link #submit(int[])}, under vLLM's priority scheduling: waiting sequences of a lower
     * {@code priority} go into the next forward pass before any of a higher one, whenever they
     * arrived (a pass already running is not interrupted).
     */
    public CompletableFuture<Void> submit(int[] sequenceTokens, int priority) {
        return submitAbortable(sequenceTokens, priority).done();
    }

    /**
     * Sequences queued together: {@code done} when all went through a pass; {@code abort()} drops
     * those still waiting.
     */
    public record Submitted(CompletableFuture<Void> done, Runnable abort) {}

    /**
     * As {@link #submit(int[], int)}, with a way to abort the request as vLLM does when its client
     * goes away: its sequences still waiting are dropped; a forward pass already running is not
     * interrupted.
     */
    public Submitted submitAbortable(int[] sequenceTokens, int priority) {
        CompletableFuture<?>[] all = new CompletableFuture<?>[sequenceTokens.length];
        List<Sequence> queued = new ArrayList<>(sequenceTokens.length);
        long arrival = arrivals.getAndIncrement();
        for (int i = 0; i < sequenceTokens.length; i++) {
            Sequence s =
                    new Sequence(
                            Math.max(1, sequenceTokens[i]),
                            priority,
                            arrival,
                            new CompletableFuture<>());
            all[i] = s.done();
            queued.add(s);
            waiting.add(s);
        }
        return new Submitted(
                CompletableFuture.allOf(all),
                () -> {
                    for (Sequence s : queued) {
                        if (waiting.remove(s)) {
                            aborted.incrementAndGet();
                        }
                    }
                });
    }

    /** Sequences dropped from the queue because their request was aborted. */
    public long aborted() {
        return aborted.get();
    }

    /**
     * Makes the emulated GPU {@code scale} times slower than calibrated from its next pass on
     * (tests).
     */
    public void timeScale(double scale) {
        this.timeScale = scale;
    }

    private void loop() {
        List<Sequence> batch = new ArrayList<>();
        while (!stopped) {
            Sequence first;
            try {
                first = waiting.take();
            } catch (InterruptedException e) {
                return;
            }
            batch.clear();
            batch.add(first);
            long batchTokens = first.tokens();
            double squares = (double) first.tokens() * first.tokens();
            int maxLen = first.tokens();
            Sequence next;
            while (batch.size() < maxNumSeqs
                    && (next = waiting.peek()) != null
                    && batchTokens + next.tokens() <= maxBatchedTokens) {
                waiting.poll();
                batch.add(next);
                batchTokens += next.tokens();
                squares += (double) next.tokens() * next.tokens();
                maxLen = Math.max(maxLen, next.tokens());
            }
            running.set(batch.size());
            long nanos =
                    (long)
                            (model.millis(batch.size(), batchTokens, squares, maxLen)
                                    * timeScale
                                    * 1_000_000);
            long deadline = System.nanoTime() + nanos;
            for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
            busyNanos.addAndGet(nanos);
            steps.incrementAndGet();
            sequences.addAndGet(batch.size());
            tokens.addAndGet(batchTokens);
            running.set(0);
            batch.forEach(s -> s.done().complete(null));
        }
    }

    public int waiting() {
        return waiting.size();
    }

    public int running() {
        return running.get();
    }

    /** Seconds the emulated GPU has spent in forward passes. */
    public double busySeconds() {
        return busyNanos.get() / 1e9;
    }

    public long steps() {
        return steps.get();
    }

    public long sequences() {
        return sequences.get();
    }

    public long tokens() {
        return tokens.get();
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
