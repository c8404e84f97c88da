package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.Priority;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The worker's scorer slots, shared by the priority lanes. A call runs at once while a slot is free; otherwise it
 * waits in its lane's queue, and each freed slot goes to the lane chosen by a smooth weighted round robin over the
 * lanes that have calls waiting. With the default weights (interactive 9, batch 1) an interactive call waits at most
 * for one running call to end while a bulk backfill drains, and the backfill still gets a tenth of the slots when
 * interactive work alone could fill them.
 */
public final class LaneGate {

    private final int slots;
    private final Map<Priority, Integer> weights = new EnumMap<>(Priority.class);
    private final Map<Priority, ArrayDeque<Runnable>> waiting = new EnumMap<>(Priority.class);
    private final Map<Priority, Integer> credit = new EnumMap<>(Priority.class);
    private int busy;
    /** Calls started from inside another call's start or end run after it, not inside it, so the stack stays flat. */
    private final ThreadLocal<ArrayDeque<Runnable>> trampoline = new ThreadLocal<>();

    public LaneGate(int slots, int interactiveWeight, int batchWeight, MeterRegistry metrics) {
        if (slots < 1 || interactiveWeight < 1 || batchWeight < 1) {
            throw new IllegalArgumentException("scorer slots and lane weights must be at least 1");
        }
        this.slots = slots;
        weights.put(Priority.INTERACTIVE, interactiveWeight);
        weights.put(Priority.BATCH, batchWeight);
        for (Priority lane : Priority.values()) {
            waiting.put(lane, new ArrayDeque<>());
            credit.put(lane, 0);
            Gauge.builder("rerank.scorer.waiting", this, g -> g.waiting(lane)).tag("lane", lane.wireName())
                    .description("Scorer calls waiting for a slot").register(metrics);
        }
        Gauge.builder("rerank.scorer.in.flight", this, LaneGate::busy).description("Scorer calls running").register(metrics);
        Gauge.builder("rerank.scorer.slots", this, g -> g.slots).description("Scorer calls a worker runs at once").register(metrics);
    }

    /** Runs {@code call} in a slot of {@code lane} (null: interactive); the slot is freed when the call ends. */
    public <T> Uni<T> run(Priority lane, Supplier<Uni<T>> call) {
        Priority l = Priority.orDefault(lane);
        return Uni.createFrom().emitter(em -> {
            AtomicBoolean gone = new AtomicBoolean();
            em.onTermination(() -> gone.set(true));
            enter(l, () -> {
                if (gone.get()) {
                    leave(); // the caller went away while it waited
                    return;
                }
                Uni<T> started;
                try {
                    started = call.get();
                } catch (RuntimeException e) {
                    leave();
                    em.fail(e);
                    return;
                }
                started.subscribe().with(item -> {
                    leave();
                    em.complete(item);
                }, failure -> {
                    leave();
                    em.fail(failure);
                });
            });
        });
    }

    private void enter(Priority lane, Runnable start) {
        synchronized (this) {
            if (busy >= slots) {
                waiting.get(lane).add(start);
                return;
            }
            busy++;
        }
        dispatch(start);
    }

    private void leave() {
        Runnable next;
        synchronized (this) {
            next = next();
            if (next == null) {
                busy--;
                return;
            }
        }
        dispatch(next); // the slot passes on to the next call
    }

    private void dispatch(Runnable start) {
        ArrayDeque<Runnable> pending = trampoline.get();
        if (pending != null) {
            pending.add(start);
            return;
        }
        pending = new ArrayDeque<>();
        trampoline.set(pending);
        try {
            for (Runnable r = start; r != null; r = pending.poll()) {
                r.run();
            }
        } finally {
            trampoline.remove();
        }
    }

    /** The next waiting call by smooth weighted round robin over the lanes with calls waiting; caller holds the lock. */
    private Runnable next() {
        Priority pick = null;
        int total = 0;
        for (Priority lane : Priority.values()) {
            if (waiting.get(lane).isEmpty()) {
                continue;
            }
            int c = credit.get(lane) + weights.get(lane);
            credit.put(lane, c);
            total += weights.get(lane);
            if (pick == null || c > credit.get(pick)) {
                pick = lane;
            }
        }
        if (pick == null) {
            return null;
        }
        credit.put(pick, credit.get(pick) - total);
        return waiting.get(pick).poll();
    }

    synchronized int busy() {
        return busy;
    }

    synchronized int waiting(Priority lane) {
        return waiting.get(lane).size();
    }
}
