package dev.rerankqueue.gateway.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The drain-rate arithmetic behind admission control, on samples whose answer is known. */
class DrainEstimateTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void theRateIsCommittedProgressOverBusyTimeOnly() {
        DrainEstimate e =
                new DrainEstimate(
                        Duration.ofSeconds(10), Duration.ofSeconds(3), Duration.ofSeconds(5));
        // 20 s idle: nothing waiting, nothing learned
        for (int s = 0; s <= 20; s++) {
            e.sample(s * SECOND, 0, 1000);
        }
        assertTrue(e.rate().isEmpty());
        // then a backlog drained at 50 jobs/s, committed in steps of 250 every 5 s (like a
        // throttled commit)
        long position = 1000;
        for (int s = 21; s <= 31; s++) {
            if ((s - 21) % 5 == 0 && s > 21) {
                position += 250;
            }
            e.sample(s * SECOND, 2000, position);
        }
        assertEquals(50.0, e.rate().orElseThrow(), 1e-9);
        // idle again: the estimate is kept for the next burst
        e.sample(32 * SECOND, 0, position + 50);
        e.sample(60 * SECOND, 0, position + 50);
        assertEquals(
                55.0,
                e.rate().orElseThrow(),
                1e-9,
                "the last busy interval counted, the oldest left the window");
    }

    @Test
    void noRateUntilEnoughBusyTimeThenOnlyTheLastWindowCounts() {
        DrainEstimate e =
                new DrainEstimate(
                        Duration.ofSeconds(4), Duration.ofSeconds(2), Duration.ofSeconds(5));
        e.sample(0, 100, 0);
        e.sample(SECOND, 100, 100);
        assertTrue(e.rate().isEmpty(), "1 s of busy time is not enough");
        e.sample(2 * SECOND, 100, 200);
        assertEquals(100.0, e.rate().orElseThrow(), 1e-9);
        // the workers stop: four busy seconds without progress push the old progress out of the
        // window
        for (int s = 3; s <= 6; s++) {
            e.sample(s * SECOND, 100, 200);
        }
        assertEquals(0.0, e.rate().orElseThrow(), 1e-9);
        assertEquals(100, e.backlog());
    }

    @Test
    void anIntervalWithoutSamplesSaysNothingAboutTheDrain() {
        DrainEstimate e =
                new DrainEstimate(
                        Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(5));
        long position = 0;
        for (int s = 0; s <= 15; s++) {
            e.sample(s * SECOND, 500, position);
            position += 20;
        }
        assertEquals(20.0, e.rate().orElseThrow(), 1e-9);
        // Kafka unreachable for 20 s: no sample succeeds, so nothing is known of that time (the
        // workers could not commit either, or committed at full speed; the next reading cannot
        // tell). The first sample after it only sets a new starting point.
        e.sample(36 * SECOND, 500, position);
        assertEquals(
                20.0,
                e.rate().orElseThrow(),
                1e-9,
                "20 s that nobody observed must not count as 20 s of busy time without progress");
        e.sample(37 * SECOND, 500, position + 20);
        assertEquals(20.0, e.rate().orElseThrow(), 1e-9);
    }

    @Test
    void retryAfterIsTheTimeUntilTheBacklogFitsTheLimit() {
        Duration limit = Duration.ofSeconds(60);
        Duration max = Duration.ofSeconds(120);
        assertEquals(
                Duration.ZERO,
                PoolBacklog.retryAfter(6000, 100, limit, max),
                "60 s of work: still accepted");
        assertEquals(Duration.ofSeconds(1), PoolBacklog.retryAfter(6001, 100, limit, max));
        assertEquals(Duration.ofSeconds(30), PoolBacklog.retryAfter(9000, 100, limit, max));
        assertEquals(
                Duration.ofSeconds(120),
                PoolBacklog.retryAfter(100_000, 100, limit, max),
                "capped");
        assertEquals(
                Duration.ofSeconds(120),
                PoolBacklog.retryAfter(10, 0, limit, max),
                "nothing drains");
    }
}
