package dev.rerankqueue.worker.batch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JobDeadlinesTest {

    @Test
    void aJobThatCouldOnlyFinishAfterItsDeadlineIsNeverStarted() {
        long now = System.currentTimeMillis();
        AtomicLong callMillis = new AtomicLong(500);
        // job 0: 200 ms left, calls take 500 ms; job 1: 10 s left; job 2: no deadline
        JobDeadlines d =
                new JobDeadlines(
                        new long[] {now + 200, now + 10_000, Long.MAX_VALUE},
                        pair -> pair / 2,
                        callMillis::get);
        assertFalse(d.sendNow(0), "its result would come after its caller stopped waiting");
        assertTrue(d.missed(0));
        callMillis.set(0);
        assertFalse(d.sendNow(1), "a missed job stays missed");
        assertTrue(d.sendNow(2));
        callMillis.set(60_000);
        assertTrue(d.sendNow(3), "a started job is scored to the end");
        assertFalse(d.missed(1));
        assertTrue(d.sendNow(4), "a job without a deadline always goes");
    }
}
