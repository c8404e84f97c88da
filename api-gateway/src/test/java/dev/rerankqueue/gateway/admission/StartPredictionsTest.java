package dev.rerankqueue.gateway.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.messaging.ModelPool;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StartPredictionsTest {

    private static final long MS = 1_000_000;

    private static final ModelPool POOL = ModelPool.DEFAULT_POOL;

    @Test
    void predictionsThatRunLongAreShortenedByTheirMeanError() {
        StartPredictions p = new StartPredictions(new SimpleMeterRegistry(), true, 2);
        assertEquals(Duration.ofMillis(900), p.corrected(POOL, Duration.ofMillis(900)));
        // every job predicted to wait 900 ms starts after 500 ms: the lag counted 400 ms of work
        // that was already done
        for (int i = 0; i < 200; i++) {
            String id = "job-" + i;
            p.predicted(id, POOL, Duration.ofMillis(900));
            long predictedAt = System.nanoTime();
            p.started(id, predictedAt + 500 * MS);
        }
        long corrected = p.corrected(POOL, Duration.ofMillis(900)).toMillis();
        assertTrue(Math.abs(corrected - 500) <= 10, "corrected to " + corrected + " ms");
        assertEquals(Duration.ZERO, p.corrected(POOL, Duration.ofMillis(100)), "never below zero");
        // always the same error: a deadline is checked against the corrected wait itself
        assertEquals(
                p.corrected(POOL, Duration.ofMillis(900)), p.latest(POOL, Duration.ofMillis(900)));
    }

    @Test
    void aDeadlineIsCheckedAgainstTheCorrectedWaitPlusTheSpreadOfTheErrors() {
        StartPredictions p = new StartPredictions(new SimpleMeterRegistry(), true, 2);
        // predicted 1,000 ms; real waits of 400 and 600 ms in turn: the mean error is 500 ms,
        // each one 100 ms from it
        for (int i = 0; i < 400; i++) {
            p.predicted("job-" + i, POOL, Duration.ofMillis(1000));
            p.started("job-" + i, System.nanoTime() + (i % 2 == 0 ? 400 : 600) * MS);
        }
        long corrected = p.corrected(POOL, Duration.ofMillis(1000)).toMillis();
        long latest = p.latest(POOL, Duration.ofMillis(1000)).toMillis();
        assertTrue(Math.abs(corrected - 500) <= 15, "corrected to " + corrected + " ms");
        assertTrue(Math.abs(latest - corrected - 2 * 100) <= 15, "latest " + latest + " ms");
    }

    @Test
    void switchedOffThePredictionIsPromisedAsTheBacklogPutsIt() {
        StartPredictions p = new StartPredictions(new SimpleMeterRegistry(), false, 2);
        for (int i = 0; i < 100; i++) {
            p.predicted("job-" + i, POOL, Duration.ofMillis(900));
            // nothing is followed: the event hub parses no event for it
            assertFalse(p.follows("job-" + i));
            p.started("job-" + i, System.nanoTime() + 500 * MS);
        }
        assertEquals(Duration.ofMillis(900), p.corrected(POOL, Duration.ofMillis(900)));
        assertEquals(Duration.ofMillis(900), p.latest(POOL, Duration.ofMillis(900)));
    }

    @Test
    void predictionsThatRunShortAreLengthened() {
        StartPredictions p = new StartPredictions(new SimpleMeterRegistry(), true, 2);
        for (int i = 0; i < 200; i++) {
            p.predicted("job-" + i, POOL, Duration.ZERO);
            p.started("job-" + i, System.nanoTime() + 30 * MS); // a claim always takes ~30 ms
        }
        long corrected = p.corrected(POOL, Duration.ZERO).toMillis();
        assertTrue(Math.abs(corrected - 30) <= 2, "corrected to " + corrected + " ms");
    }

    @Test
    void onlyFollowedJobsCountAndEachOnce() {
        StartPredictions p = new StartPredictions(new SimpleMeterRegistry(), true, 2);
        p.started("never-predicted", System.nanoTime());
        assertEquals(0, p.errorMillis(POOL));
        p.predicted("a", POOL, Duration.ofMillis(1000));
        assertTrue(p.follows("a"));
        p.started("a", System.nanoTime());
        assertFalse(p.follows("a"));
        double once = p.errorMillis(POOL);
        p.started("a", System.nanoTime()); // its later events (running again, succeeded)
        assertEquals(once, p.errorMillis(POOL));
    }

    @Test
    void theJobsFollowedAreBounded() {
        StartPredictions p = new StartPredictions(new SimpleMeterRegistry(), true, 2);
        for (int i = 0; i <= StartPredictions.MAX_TRACKED; i++) {
            p.predicted("job-" + i, POOL, Duration.ofMillis(10));
        }
        assertFalse(p.follows("job-0"), "the oldest is forgotten");
        assertTrue(p.follows("job-" + StartPredictions.MAX_TRACKED));
    }

    @Test
    void aPredictionBeyondTheMaxBacklogTeachesNothing() {
        StartPredictions p = new StartPredictions(new SimpleMeterRegistry(), true, 4, 300_000);
        long now = System.nanoTime();
        // a drain rate barely measured: an hour predicted, the job started at once
        p.predicted("cold", POOL, Duration.ofHours(1));
        p.started("cold", now + 10 * MS);
        assertEquals(Duration.ofMillis(900), p.latest(POOL, Duration.ofMillis(900)));
        assertEquals(0.0, p.errorMillis(POOL), 1e-9);
    }

    /** Pools learn apart: the starts of one model's jobs correct no other model's predictions. */
    @Test
    void eachPoolLearnsItsOwnError() {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        StartPredictions p = new StartPredictions(metrics, true, 2);
        ModelPool large = ModelPool.of("large");
        for (int i = 0; i < 200; i++) {
            p.predicted("small-" + i, POOL, Duration.ofMillis(900));
            p.started("small-" + i, System.nanoTime() + 500 * MS);
            p.predicted("large-" + i, large, Duration.ofMillis(900));
            p.started("large-" + i, System.nanoTime() + 1_300 * MS);
        }
        long small = p.corrected(POOL, Duration.ofMillis(900)).toMillis();
        long big = p.corrected(large, Duration.ofMillis(900)).toMillis();
        assertTrue(Math.abs(small - 500) <= 10, "default pool corrected to " + small + " ms");
        assertTrue(Math.abs(big - 1_300) <= 10, "large pool corrected to " + big + " ms");
        assertEquals(
                -0.4,
                metrics.get("rerank.admission.start.prediction.error.seconds")
                        .tag("pool", "large")
                        .gauge()
                        .value(),
                0.01);
    }
}
