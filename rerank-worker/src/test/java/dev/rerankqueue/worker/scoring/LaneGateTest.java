package dev.rerankqueue.worker.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rerankqueue.job.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class LaneGateTest {

    /** Calls that start when the gate lets them and end when the test says so. */
    static final class Calls {
        final List<String> started = new CopyOnWriteArrayList<>();
        final List<UniEmitter<? super String>> running = new CopyOnWriteArrayList<>();

        Uni<String> call(String name) {
            return Uni.createFrom()
                    .emitter(
                            em -> {
                                started.add(name);
                                running.add(em);
                            });
        }

        void endOldest() {
            running.remove(0).complete("done");
        }
    }

    @Test
    void interactiveCallsGoFirstAndBatchStillGetsItsShare() {
        LaneGate gate = new LaneGate(1, 1, 3, 1, new SimpleMeterRegistry());
        Calls calls = new Calls();
        List<String> ended = new ArrayList<>();
        gate.run(Priority.BATCH, () -> calls.call("b0")).subscribe().with(ended::add);
        for (int i = 1; i <= 4; i++) {
            String b = "b" + i;
            gate.run(Priority.BATCH, () -> calls.call(b)).subscribe().with(ended::add);
        }
        for (int i = 1; i <= 6; i++) {
            String n = "i" + i;
            gate.run(Priority.INTERACTIVE, () -> calls.call(n)).subscribe().with(ended::add);
        }
        assertEquals(List.of("b0"), calls.started, "one slot: the rest wait");
        assertEquals(10, gate.waiting(Priority.INTERACTIVE) + gate.waiting(Priority.BATCH));
        for (int k = 0; k < 10; k++) {
            calls.endOldest();
        }
        // weights 3:1 while both lanes wait; batch alone afterwards
        assertEquals(
                List.of("b0", "i1", "i2", "b1", "i3", "i4", "i5", "b2", "i6", "b3", "b4"),
                calls.started);
        assertEquals(10, ended.size());
        assertEquals(1, gate.busy());
    }

    @Test
    void tenantsTakeTurnsInTokensAndATenantsEarliestDeadlineGoesFirst() {
        LaneGate gate =
                new LaneGate(
                        1,
                        1,
                        1,
                        1,
                        new TenantTurns.Shares(1_000, Map.of("big", 2), 1),
                        new SimpleMeterRegistry());
        Calls calls = new Calls();
        run(gate, calls, "flood", "f0", Long.MAX_VALUE, 1_000);
        for (int i = 1; i <= 6; i++) {
            run(gate, calls, "flood", "f" + i, Long.MAX_VALUE, 1_000);
        }
        run(gate, calls, "calm", "c1", Long.MAX_VALUE, 1_000);
        run(gate, calls, "calm", "c2", 2_000, 1_000);
        run(gate, calls, "calm", "c3", 1_000, 1_000);
        run(gate, calls, "big", "b1", Long.MAX_VALUE, 1_000);
        run(gate, calls, "big", "b2", Long.MAX_VALUE, 1_000);
        run(gate, calls, "big", "b3", Long.MAX_VALUE, 1_000);
        for (int k = 0; k < 13; k++) {
            calls.endOldest();
        }
        // one call per turn for weight 1, two for "big"; "calm" sends its earliest deadline first
        assertEquals(
                List.of(
                        "f0", "f1", "c3", "b1", "b2", "f2", "c2", "b3", "f3", "c1", "f4", "f5",
                        "f6"),
                calls.started);
    }

    @Test
    void aTenantsCallOfManyTokensWaitsUntilItsTurnsAddUpToIt() {
        LaneGate gate =
                new LaneGate(
                        1, 1, 1, 1, TenantTurns.Shares.equal(1_000), new SimpleMeterRegistry());
        Calls calls = new Calls();
        run(gate, calls, "a", "a0", Long.MAX_VALUE, 1);
        run(gate, calls, "a", "a1", Long.MAX_VALUE, 3_000);
        for (int i = 1; i <= 4; i++) {
            run(gate, calls, "b", "b" + i, Long.MAX_VALUE, 1_000);
        }
        for (int k = 0; k < 5; k++) {
            calls.endOldest();
        }
        assertEquals(List.of("a0", "b1", "b2", "a1", "b3", "b4"), calls.started);
    }

    private static void run(
            LaneGate gate, Calls calls, String tenant, String name, long deadline, long tokens) {
        gate.run(
                        new SlotRequest(Priority.INTERACTIVE, tenant, deadline, tokens),
                        () -> calls.call(name))
                .subscribe()
                .with(ignored -> {});
    }

    @Test
    void aFailedCallFreesItsSlotAndACallerThatLeftWhileWaitingNeverRuns() {
        LaneGate gate = new LaneGate(1, 1, 9, 1, new SimpleMeterRegistry());
        Calls calls = new Calls();
        gate.run(Priority.INTERACTIVE, () -> calls.call("first")).subscribe().with(x -> {});
        Cancellable gone =
                gate.run(Priority.INTERACTIVE, () -> calls.call("abandoned"))
                        .subscribe()
                        .with(x -> {});
        List<Throwable> failures = new ArrayList<>();
        gate.run(
                        (Priority) null,
                        () ->
                                Uni.createFrom()
                                        .<String>failure(new IllegalStateException("scorer down")))
                .subscribe()
                .with(x -> {}, failures::add);
        gone.cancel();
        calls.endOldest();
        assertEquals(List.of("first"), calls.started, "the abandoned call never started");
        assertEquals(1, failures.size());
        assertEquals(0, gate.busy(), "every slot is free again");
        // many queued calls that fail at once (an open circuit breaker) do not grow the stack
        gate.run(Priority.BATCH, () -> calls.call("holder")).subscribe().with(x -> {});
        int[] failed = new int[1];
        for (int i = 0; i < 100_000; i++) {
            gate.run(
                            Priority.BATCH,
                            () ->
                                    Uni.createFrom()
                                            .<String>failure(new IllegalStateException("open")))
                    .subscribe()
                    .with(x -> {}, e -> failed[0]++);
        }
        calls.endOldest();
        assertEquals(100_000, failed[0]);
        assertEquals(0, gate.busy());
    }

    @Test
    void theBatchLaneNeverHoldsMoreThanItsSlotsSoInteractiveCallsFindRoom() {
        LaneGate gate = new LaneGate(4, 2, 9, 1, new SimpleMeterRegistry());
        Calls calls = new Calls();
        for (int i = 0; i < 5; i++) {
            String b = "b" + i;
            gate.run(Priority.BATCH, () -> calls.call(b)).subscribe().with(x -> {});
        }
        assertEquals(List.of("b0", "b1"), calls.started, "two of four slots for the batch lane");
        gate.run(Priority.INTERACTIVE, () -> calls.call("i1")).subscribe().with(x -> {});
        gate.run(Priority.INTERACTIVE, () -> calls.call("i2")).subscribe().with(x -> {});
        gate.run(Priority.INTERACTIVE, () -> calls.call("i3")).subscribe().with(x -> {});
        assertEquals(
                List.of("b0", "b1", "i1", "i2"),
                calls.started,
                "interactive calls start at once in the free slots");
        calls.endOldest(); // b0 ends: its slot goes to the waiting interactive call
        assertEquals(List.of("b0", "b1", "i1", "i2", "i3"), calls.started);
        calls.endOldest(); // b1 ends: a batch call may take it
        assertEquals("b2", calls.started.get(5));
        assertEquals(4, gate.busy());
    }

    @Test
    void refusesNonsenseSettings() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new LaneGate(0, 1, 1, 1, new SimpleMeterRegistry()));
        assertThrows(
                IllegalArgumentException.class,
                () -> new LaneGate(1, 1, 0, 1, new SimpleMeterRegistry()));
        assertThrows(
                IllegalArgumentException.class,
                () -> new LaneGate(2, 0, 1, 1, new SimpleMeterRegistry()));
    }
}
