package dev.rerankqueue.bench.scenario;

import dev.rerankqueue.bench.load.CpuMeter;
import dev.rerankqueue.bench.load.Stack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code efficiency}: sustained throughput of the whole system divided by the GPU's own capacity.
 */
public final class Efficiency extends Harness {

    public Efficiency(Stack stack, int seconds, Path charts) {
        super(stack, seconds, charts);
    }

    /**
     * Sustained pairs/s through gateway, Kafka, worker and vLLM, divided by the emulator's own
     * capacity.
     */
    public void run() throws Exception {
        say(
                "== efficiency: sustained throughput through the whole system / the GPU's own capacity ==");
        double capacity =
                measureCapacity(stack.emulators().get(0), Math.max(8, seconds / 4), 16)
                        * stack.emulators().size();
        double jobsPerSecond = 1.25 * capacity / DOCS;
        long warmup = Math.min(10, seconds / 3);
        say(
                "offering %.0f jobs/s (%d documents each, 1.25 x capacity) for %d s, open loop",
                jobsPerSecond, DOCS, seconds);
        Sustained s = sustain(stack, jobsPerSecond, seconds, warmup, CpuMeter.ofRunDir());
        say(
                "system: %.0f pairs/s of finished jobs in the steady window (%.0f s after %d s warm-up); GPU busy %.1f %%, "
                        + "%.1f pairs per forward pass; accepted %d, refused %d",
                s.pairsPerSecond(),
                s.windowSeconds(),
                warmup,
                100 * s.gpuBusy(),
                s.pairsPerPass(),
                s.accepted(),
                s.refused());
        say("CPU in the window: %s", CpuMeter.describe(s.cpu()));
        Map<String, Double> perJob = CpuMeter.msPerJob(s.cpu(), s.pairsPerSecond() / DOCS);
        say("CPU per finished job (ms): %s", perJob);
        long drainStart = System.nanoTime();
        awaitFinished(s.finishedBefore() + s.accepted(), Duration.ofMinutes(10));
        say(
                "backlog drained in %.1f s after the offered load stopped",
                (System.nanoTime() - drainStart) / 1e9);
        double ratio = s.pairsPerSecond() / capacity;
        double never = saturated * stack.emulators().size();
        say(
                "efficiency = %.0f / %.0f = %.3f of the directly fed capacity (goal >= 0.97); %.3f of a never-idle GPU (%.0f pairs/s)",
                s.pairsPerSecond(), capacity, ratio, s.pairsPerSecond() / never, never);
        figures.put("capacity_pairs_per_s", Math.round(capacity));
        figures.put("system_pairs_per_s", Math.round(s.pairsPerSecond()));
        figures.put("efficiency", round3(ratio));
        figures.put("saturated_gpu_pairs_per_s", Math.round(never));
        figures.put("efficiency_vs_saturated_gpu", round3(s.pairsPerSecond() / never));
        figures.put("gpu_busy", round3(s.gpuBusy()));
        figures.put("pairs_per_forward_pass", round3(s.pairsPerPass()));
        figures.put("accepted", s.accepted());
        figures.put("refused", s.refused());
        figures.put("cpu_cores", s.cpu());
        figures.put("cpu_ms_per_job", perJob);
        emit("efficiency");
    }
}
