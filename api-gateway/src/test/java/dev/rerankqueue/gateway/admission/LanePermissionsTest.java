package dev.rerankqueue.gateway.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.job.Priority;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The lane settings as an operator writes them, and the start-up errors of wrong ones. */
class LanePermissionsTest {

    private static final String KEY = "rerank.quotas.tenant.\"acme\".lanes";

    @Test
    void lanesAreReadByTheirWireNames() {
        assertEquals(Set.of(Priority.BATCH), LanePermissions.parse(KEY, List.of(" batch ")));
        assertEquals(
                Set.of(Priority.INTERACTIVE, Priority.BATCH),
                LanePermissions.parse(KEY, List.of("interactive", "batch")));
    }

    @Test
    void aMisspeltOrEmptyLaneStopsStartUpNamingTheKey() {
        IllegalStateException misspelt =
                assertThrows(
                        IllegalStateException.class,
                        () -> LanePermissions.parse(KEY, List.of("bulk")));
        assertTrue(misspelt.getMessage().contains(KEY), misspelt.getMessage());
        assertTrue(misspelt.getMessage().contains("\"bulk\""), misspelt.getMessage());
        IllegalStateException none =
                assertThrows(
                        IllegalStateException.class,
                        () -> LanePermissions.parse(KEY, List.of(" ")));
        assertTrue(none.getMessage().contains("allows no lane"), none.getMessage());
    }
}
