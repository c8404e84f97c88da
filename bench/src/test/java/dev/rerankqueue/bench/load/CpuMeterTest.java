package dev.rerankqueue.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuMeterTest {

    @Test
    void metersTheProcessesOfThePidFilesAndTheHarnessAndSkipsTheGoneOnes(@TempDir Path pids)
            throws Exception {
        Files.writeString(pids.resolve("gateway.pid"), ProcessHandle.current().pid() + "\n");
        Files.writeString(pids.resolve("worker-1.pid"), "999999999\n"); // no such process
        Files.writeString(pids.resolve("notes.txt"), "not a pid file");
        CpuMeter meter = new CpuMeter(pids).start();
        long end = System.nanoTime() + 300_000_000L;
        double x = 0;
        while (System.nanoTime() < end) { // a third of a second of one busy core
            x += Math.sqrt(x + 1);
        }
        Map<String, Double> cores = meter.coresSinceStart();
        assertEquals(
                2,
                cores.size(),
                cores.toString()); // the gateway's pid and this JVM; the gone worker is left out
        assertTrue(cores.get("gateway") > 0.5, cores + " " + x);
        assertTrue(cores.get("load generator (this JVM)") > 0.5, cores.toString());
        assertNull(CpuMeter.ticks(999_999_999L));
    }
}
