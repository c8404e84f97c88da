package dev.rerankqueue.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ScorerCapacityAnnouncementTest {

    @Test
    void readsWhatItWritesAndNothingElse() {
        ScorerCapacityAnnouncement a = new ScorerCapacityAnnouncement(1_700_000_000_000L, 1346.5);
        assertEquals(Optional.of(a), ScorerCapacityAnnouncement.parse(a.wire()));
        for (String bad :
                new String[] {null, "", "5", "x 5", "1 x", "1 -1", "1 NaN", "1 Infinity"}) {
            assertEquals(
                    Optional.empty(), ScorerCapacityAnnouncement.parse(bad), String.valueOf(bad));
        }
    }

    @Test
    void carriesTokensWhenTheWorkerKnowsThemAndReadsTheOlderPairsOnlyForm() {
        ScorerCapacityAnnouncement both =
                new ScorerCapacityAnnouncement(1_700_000_000_000L, 1346.5, 420_000);
        assertEquals(Optional.of(both), ScorerCapacityAnnouncement.parse(both.wire()));
        assertTrue(both.hasTokens());
        ScorerCapacityAnnouncement pairsOnly =
                ScorerCapacityAnnouncement.parse("1700000000000 1346.5").orElseThrow();
        assertFalse(pairsOnly.hasTokens());
        assertEquals(1346.5, pairsOnly.pairsPerSecond(), 1e-9);
        for (String bad : new String[] {"1 5 x", "1 5 -1", "1 5 NaN", "1 5 6 7", "1 5 "}) {
            assertEquals(
                    Optional.empty(), ScorerCapacityAnnouncement.parse(bad), String.valueOf(bad));
        }
    }

    @Test
    void freshOnlyWithinItsWindow() {
        ScorerCapacityAnnouncement a = new ScorerCapacityAnnouncement(10_000, 12);
        assertTrue(a.freshAt(15_000, 10_000));
        assertFalse(a.freshAt(20_000, 10_000));
    }
}
