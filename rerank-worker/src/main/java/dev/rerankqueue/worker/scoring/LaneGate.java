package dev.rerankqueue.worker.scoring;

import dev.rerankqueue.job.Priority;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The worker's scorer slots, shared by the priority lanes. A call runs at once while a slot is
 * free; otherwise it waits in its lane's queue, and each freed slot goes to the lane chosen by a
 * smooth weighted round robin over the lanes that have calls waiting. With the default weights
 * (interactive 9, batch 1) an interactive call waits at most for one running call to end while a
 * bulk backfill drains, and the backfill still gets a tenth of the slots when interactive work
 * alone could fill them. The batch lane never holds more than {@code batchMaxSlots} slots: the
 * model server queues what it is sent in arrival order, so every batch call in flight is time an
 * interactive call waits.
 */
public final class LaneGate {

    private final int slots;
    private final int batchMaxSlots;
    private final Map<Priority, Integer> running = new EnumMap<>(Priority.class);
    private final Map<Priority, Integer> weights = new EnumMap<>(Priority.class);
    private final Map<Priority, TenantTurns> waiting = new EnumMap<>(Priority.class);
    private final Map<Priority, Integer> credit = new EnumMap<>(Priority.class);
    private int busy;

    /**
     * Calls started from inside another call's start or end run after it, not inside it, so the
     * stack stays flat.
     */
    private final ThreadLocal<ArrayDeque<Runnable>> trampoline = new ThreadLocal<>();

    public LaneGate(
            int slots,
            int batchMaxSlots,
            int interactiveWeight,
            int batchWeight,
            MeterRegistry metrics) {
        this(
                slots,
                batchMaxSlots,
                interactiveWeight,
                batchWeight,
                TenantTurns.Shares.equal(1),
                metrics);
    }

    /**
     * A gate whose lanes each serve their tenants by weighted deficit round robin in model tokens
     * ({@link TenantTurns}).
     */
    LaneGate(
            int slots,
            int batchMaxSlots,
            int interactiveWeight,
            int batchWeight,
            TenantTurns.Shares tenantShares,
            MeterRegistry metrics) {
        if (slots < 1 || batchMaxSlots < 1 || interactiveWeight < 1 || batchWeight < 1) {
            throw new IllegalArgumentException(
                    "scorer slots, the batch lane's slots and lane weights must be at least 1");
        }
        this.slots = slots;
        this.batchMaxSlots = Math.min(slots, batchMaxSlots);
        weights.put(Priority.INTERACTIVE, interactiveWeight);
        weights.put(Priority.BATCH, batchWeight);
        for (Priority lane : Priority.values()) {
            waiting.put(lane, new TenantTurns(tenantShares));
            credit.put(lane, 0);
            running.put(lane, 0);
            Gauge.builder("rerank.scorer.waiting", this, g -> g.waiting(lane))
                    .tag("lane", lane.wireName())
                    .description("Scorer calls waiting for a slot")
                    .register(metrics);
        }
        Gauge.builder("rerank.scorer.in.flight", this, LaneGate::busy)
                .description("Scorer calls running")
                .register(metrics);
        Gauge.builder("rerank.scorer.slots", this, g -> g.slots)
                .description("Scorer calls a worker runs at once")
                .register(metrics);
    }

    /**
     * Runs {@code call} in a slot of {@code lane} (null: interactive); the slot is freed when the
     * call ends.
     */
    public <T> Uni<T> run(Priority lane, Supplier<Uni<T>> call) {
        return run(SlotRequest.of(lane), call);
    }

    /**
     * Runs {@code call} in a slot of the request's lane, in its tenant's turn ({@link
     * TenantTurns}); the slot is freed when the call ends.
     */
    public <T> Uni<T> run(SlotRequest request, Supplier<Uni<T>> call) {
        Priority l = request.lane();
        return Uni.createFrom()
                .emitter(
                        em -> {
                            AtomicBoolean gone = new AtomicBoolean();
                            AtomicBoolean left = new AtomicBoolean();
                            AtomicReference<Cancellable> running = new AtomicReference<>();
                            Runnable leaveOnce =
                                    () -> {
                                        if (left.compareAndSet(false, true)) {
                                            leave(l);
                                        }
                                    };
                            em.onTermination(
                                    () -> {
                                        gone.set(true);
                                        Cancellable started = running.get();
                                        if (started != null && !left.get()) {
                                            // the caller went away during the call: stop it
                                            // (a model server call is aborted), free the slot
                                            started.cancel();
                                            leaveOnce.run();
                                        }
                                    });
                            enter(
                                    request,
                                    () -> {
                                        if (gone.get()) {
                                            leaveOnce.run(); // the caller went away while it waited
                                            return;
                                        }
                                        Uni<T> started;
                                        try {
                                            started = call.get();
                                        } catch (RuntimeException e) {
                                            leaveOnce.run();
                                            em.fail(e);
                                            return;
                                        }
                                        running.set(
                                                started.subscribe()
                                                        .with(
                                                                item -> {
                                                                    leaveOnce.run();
                                                                    em.complete(item);
                                                                },
                                                                failure -> {
                                                                    leaveOnce.run();
                                                                    em.fail(failure);
                                                                }));
                                        if (gone.get() && !left.get()) {
                                            // went away while the call was being started
                                            running.get().cancel();
                                            leaveOnce.run();
                                        }
                                    });
                        });
    }

    private void enter(SlotRequest request, Runnable start) {
        synchronized (this) {
            if (!free(request.lane())) {
                waiting.get(request.lane()).add(request, start);
                return;
            }
            take(request.lane());
        }
        dispatch(start);
    }

    private void leave(Priority lane) {
        Runnable next;
        synchronized (this) {
            busy--;
            running.merge(lane, -1, Integer::sum);
            next = next();
        }
        if (next != null) {
            dispatch(next); // the slot passes on to the next call
        }
    }

    /** Whether a call of {@code lane} may start now; caller holds the lock. */
    private boolean free(Priority lane) {
        return busy < slots
                && (lane != Priority.BATCH || running.get(Priority.BATCH) < batchMaxSlots);
    }

    private void take(Priority lane) {
        busy++;
        running.merge(lane, 1, Integer::sum);
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

    /**
     * The next waiting call that may start, by smooth weighted round robin over the lanes with such
     * calls, its slot taken; caller holds the lock.
     */
    private Runnable next() {
        Priority pick = null;
        int total = 0;
        for (Priority lane : Priority.values()) {
            if (waiting.get(lane).isEmpty() || !free(lane)) {
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
        take(pick);
        return waiting.get(pick).poll();
    }

    synchronized int busy() {
        return busy;
    }

    synchronized int waiting(Priority lane) {
        return waiting.get(lane).size();
    }
}
