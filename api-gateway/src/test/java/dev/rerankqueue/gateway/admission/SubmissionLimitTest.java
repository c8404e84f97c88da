package dev.rerankqueue.gateway.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The gateway's in-flight limit: a gateway that has just started takes a first wave of its initial
 * limit, not of its maximum, and finds its way up while its accepts stay fast.
 */
class SubmissionLimitTest {

    private static final long TARGET = Duration.ofMillis(100).toNanos();
    private static final long FAST = Duration.ofMillis(20).toNanos();
    private static final long SLOW = Duration.ofMillis(900).toNanos();

    @Test
    void aFreshGatewayStartsAtItsInitialLimit() {
        SubmissionLimit limit =
                new SubmissionLimit(
                        512, 64, 64, Duration.ofMillis(100), 1, new SimpleMeterRegistry());
        assertEquals(64, limit.limit());
    }

    @Test
    void withoutATargetTheLimitIsTheFixedMaximum() {
        SubmissionLimit limit =
                new SubmissionLimit(512, 64, 64, Duration.ZERO, 1, new SimpleMeterRegistry());
        assertEquals(512, limit.limit());
    }

    @Test
    void coldSecondsHoldTheInitialLimitThenFastOnesDoubleItToTheMaximum() {
        SlowStartLimit limit = new SlowStartLimit(64, 64, 512, 0.75, TARGET);
        window(limit, SLOW, 64, false); // the JIT still cold: held, not shrunk, still starting
        window(limit, SLOW, 64, false);
        assertEquals(64, limit.getLimit());
        assertTrue(limit.slowStarting());
        window(limit, FAST, 64, false);
        assertEquals(128, limit.getLimit());
        window(limit, FAST, 128, false);
        window(limit, FAST, 256, false);
        assertEquals(512, limit.getLimit());
        assertFalse(limit.slowStarting(), "at the maximum the doubling ends");
    }

    @Test
    void aSlowSecondAboveTheInitialLimitEndsTheDoublingAndBacksOff() {
        SlowStartLimit limit = new SlowStartLimit(64, 64, 512, 0.75, TARGET);
        window(limit, FAST, 64, false);
        window(limit, FAST, 128, false);
        assertEquals(256, limit.getLimit());
        window(limit, SLOW, 256, false);
        assertEquals(192, limit.getLimit());
        assertFalse(limit.slowStarting());
        window(limit, FAST, 192, false);
        assertEquals(193, limit.getLimit(), "after the slow start it grows by one a second");
    }

    @Test
    void aTimeoutCountsAsASlowSecondAndALightlyUsedLimitDoesNotGrow() {
        SlowStartLimit limit = new SlowStartLimit(64, 64, 512, 0.75, TARGET);
        window(limit, FAST, 10, false); // a few callers: says nothing of what 128 would do
        assertEquals(64, limit.getLimit());
        window(limit, FAST, 64, false);
        window(limit, FAST, 128, true); // a Kafka or Redis call timed out
        assertEquals(96, limit.getLimit());
        assertFalse(limit.slowStarting());
    }

    @Test
    void theInitialLimitIsClampedToTheRange() {
        assertEquals(64, new SlowStartLimit(8, 64, 512, 0.75, TARGET).getLimit());
        SlowStartLimit atMax = new SlowStartLimit(4096, 64, 512, 0.75, TARGET);
        assertEquals(512, atMax.getLimit());
        assertFalse(atMax.slowStarting(), "starting at the maximum: no slow start");
    }

    /** One window's figures, as {@code WindowedLimit} hands them on. */
    private static void window(SlowStartLimit limit, long meanRtt, int inFlight, boolean drop) {
        limit.onSample(0, meanRtt, inFlight, drop);
    }
}
