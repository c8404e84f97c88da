package dev.rerankqueue.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class PriorityTest {

    @Test
    void vllmsIntegerPrioritiesPickALaneAndNeverWrap() {
        assertEquals(Priority.INTERACTIVE, Priority.fromWire(0));
        assertEquals(Priority.INTERACTIVE, Priority.fromWire(-5L));
        assertEquals(Priority.BATCH, Priority.fromWire(1));
        // 2^64 would wrap to 0 as a long, and jump the queue
        assertEquals(Priority.BATCH, Priority.fromWire(BigInteger.ONE.shiftLeft(64)));
        assertEquals(Priority.BATCH, Priority.fromWire("batch"));
    }
}
