package dev.rerankqueue.job;

import static dev.rerankqueue.job.JobStatus.CANCELLED;
import static dev.rerankqueue.job.JobStatus.EXPIRED;
import static dev.rerankqueue.job.JobStatus.FAILED;
import static dev.rerankqueue.job.JobStatus.QUEUED;
import static dev.rerankqueue.job.JobStatus.RUNNING;
import static dev.rerankqueue.job.JobStatus.SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class JobStatusTest {

    @Test
    void transitionTableIsExactlyTheDesignedLifecycle() {
        Set<String> allowed = new TreeSet<>();
        for (JobStatus from : JobStatus.values()) {
            for (JobStatus to : JobStatus.values()) {
                if (from.canMoveTo(to)) {
                    allowed.add(from.wireName() + "->" + to.wireName());
                }
            }
        }
        assertEquals(
                new TreeSet<>(
                        Set.of(
                                "queued->running",
                                "queued->cancelled",
                                "queued->expired",
                                "running->succeeded",
                                "running->failed",
                                "running->cancelled",
                                "running->expired",
                                "running->queued")),
                allowed);
    }

    @ParameterizedTest
    @EnumSource(
            value = JobStatus.class,
            names = {"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"})
    void terminalStatesNeverChange(JobStatus terminal) {
        assertTrue(terminal.isTerminal());
        for (JobStatus to : JobStatus.values()) {
            IllegalJobStateChangeException e =
                    assertThrows(
                            IllegalJobStateChangeException.class, () -> terminal.checkMoveTo(to));
            assertEquals(terminal, e.from());
            assertEquals(to, e.to());
        }
    }

    @Test
    void openStatesAreNotTerminal() {
        assertFalse(QUEUED.isTerminal());
        assertFalse(RUNNING.isTerminal());
    }

    @Test
    void sourcesAreTheInverseOfTheTable() {
        assertEquals(EnumSet.of(QUEUED), RUNNING.sources());
        assertEquals(EnumSet.of(RUNNING), QUEUED.sources());
        assertEquals(EnumSet.of(RUNNING), SUCCEEDED.sources());
        assertEquals(EnumSet.of(RUNNING), FAILED.sources());
        assertEquals(EnumSet.of(QUEUED, RUNNING), CANCELLED.sources());
        assertEquals(EnumSet.of(QUEUED, RUNNING), EXPIRED.sources());
    }

    @Test
    void wireNamesAreLowerCaseAndRoundTrip() {
        for (JobStatus s : JobStatus.values()) {
            assertEquals(s.name().toLowerCase(), s.wireName());
            assertEquals(s, JobStatus.fromWire(s.wireName()));
        }
    }

    @Test
    void illegalMoveSaysWhich() {
        IllegalJobStateChangeException e =
                assertThrows(
                        IllegalJobStateChangeException.class, () -> QUEUED.checkMoveTo(SUCCEEDED));
        assertEquals("job cannot move from queued to succeeded", e.getMessage());
    }
}
