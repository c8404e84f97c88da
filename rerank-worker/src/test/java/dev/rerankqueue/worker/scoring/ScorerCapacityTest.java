package dev.rerankqueue.worker.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ScorerCapacityTest {

    private static final long MS = 1_000_000;

    @Test
    void pairsPerSecondOfBusyTimeOnlyIdleTimeDoesNotDiluteIt() {
        ScorerCapacity c = new ScorerCapacity(Duration.ofSeconds(30), Duration.ofMillis(500));
        // two overlapping calls of 64 pairs over 400 ms of busy time, then 600 ms idle
        c.started(0);
        c.started(100 * MS);
        c.ended(300 * MS, 64, 64 * 100L);
        c.ended(400 * MS, 64, 64 * 100L);
        assertTrue(c.tick(1_000 * MS).isEmpty(), "400 ms of busy time is not enough to say");
        c.started(1_000 * MS);
        c.ended(1_200 * MS, 32, 32 * 100L);
        OptionalDouble rate = c.tick(2_000 * MS);
        assertEquals(
                160 / 0.6,
                rate.getAsDouble(),
                1e-6,
                "160 pairs in 600 ms of busy time, the idle 1.4 s left out");
        assertEquals(
                16_000 / 0.6,
                c.tokensPerSecond().getAsDouble(),
                1e-6,
                "their charged tokens over the same busy time");
        assertEquals(
                160 / 0.6,
                c.tick(60_000 * MS).getAsDouble(),
                1e-6,
                "a quiet minute keeps the figure");
    }

    @Test
    void aCallStillRunningCountsItsTimeSoFarAndFailedCallsScoreNothing() {
        ScorerCapacity c = new ScorerCapacity(Duration.ofSeconds(30), Duration.ofMillis(500));
        c.started(0);
        c.ended(500 * MS, 0, 0 * 100L); // failed
        c.started(500 * MS);
        assertEquals(
                0,
                c.tick(1_000 * MS).getAsDouble(),
                1e-9,
                "a scorer that only fails scores nothing");
        c.ended(1_500 * MS, 300, 300 * 100L);
        assertEquals(300 / 1.5, c.tick(2_000 * MS).getAsDouble(), 1e-6);
    }

    @Test
    void onlyTheLastWindowOfBusyTimeCounts() {
        ScorerCapacity c = new ScorerCapacity(Duration.ofSeconds(2), Duration.ofMillis(500));
        long t = 0;
        for (int s = 0; s < 5; s++) { // 5 busy seconds at 100 pairs/s
            c.started(t);
            c.ended(t + 1_000 * MS, 100, 100 * 100L);
            t += 1_000 * MS;
            c.tick(t);
        }
        for (int s = 0; s < 3; s++) { // then 3 at 400 pairs/s: the window holds only these
            c.started(t);
            c.ended(t + 1_000 * MS, 400, 400 * 100L);
            t += 1_000 * MS;
            c.tick(t);
        }
        assertEquals(400, c.tick(t).getAsDouble(), 1e-6);
    }
}
