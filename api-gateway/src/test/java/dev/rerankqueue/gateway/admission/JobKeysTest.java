package dev.rerankqueue.gateway.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The keys of the jobs of a keyed bulk upload or /score call, derived from the call's key. */
class JobKeysTest {

    @Test
    void everyValidKeyGivesValidJobKeys() {
        assertNull(BatchSubmitter.jobKey(null, 3));
        assertEquals("run-7#3", BatchSubmitter.jobKey("run-7", 3));
        // a key of 255 characters: its suffix would pass the limit and be refused as invalid
        String longest = "k".repeat(255);
        String job = BatchSubmitter.jobKey(longest, 12_345);
        assertEquals(job, IdempotencyKeys.check(job));
        assertNotEquals(job, BatchSubmitter.jobKey(longest, 12_346));
        assertNotEquals(job, BatchSubmitter.jobKey("k".repeat(254) + "j", 12_345));
    }
}
