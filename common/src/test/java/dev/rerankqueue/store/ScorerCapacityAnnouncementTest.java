package dev.rerankqueue.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
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
    void totalCountsOnlyFreshAnnouncements() {
        List<String> wires =
                List.of(
                        new ScorerCapacityAnnouncement(10_000, 12).wire(),
                        new ScorerCapacityAnnouncement(1_000, 50).wire(),
                        "garbage");
        assertEquals(12, ScorerCapacityAnnouncement.total(wires, 15_000, 10_000), 1e-9);
    }
}
