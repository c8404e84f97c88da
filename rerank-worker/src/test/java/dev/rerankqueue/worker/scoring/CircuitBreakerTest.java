package dev.rerankqueue.worker.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    @Test
    void opensAfterThatManyFailuresInARowForItsOpenTime() {
        CircuitBreaker b = new CircuitBreaker(3, Duration.ofSeconds(30));
        assertFalse(b.failed(1_000));
        assertFalse(b.failed(1_000));
        assertEquals(0, b.openFor(1_000), "two failures: calls still go");
        assertTrue(b.failed(2_000), "the third opens it");
        assertEquals(30_000, b.openFor(2_000));
        assertEquals(1, b.openFor(31_999));
        assertEquals(0, b.openFor(32_000), "then calls are tried again");
        assertFalse(b.failed(32_000), "and it counts afresh");
    }

    @Test
    void aSuccessBetweenFailuresKeepsItClosed() {
        CircuitBreaker b = new CircuitBreaker(2, Duration.ofSeconds(30));
        assertFalse(b.failed(0));
        b.succeeded();
        assertFalse(b.failed(0));
        assertEquals(0, b.openFor(0));
    }
}
