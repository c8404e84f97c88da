package dev.rerankqueue.bench.scenario;

import dev.rerankqueue.bench.load.CpuMeter;
import dev.rerankqueue.bench.load.LocalStack;
import dev.rerankqueue.bench.report.Charts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code scale}: 1, 2, 4 workers, each with its own emulated GPU; starts a stack per count. */
public final class Scale {

    private Scale() {}

    /**
     * Throughput with 1, 2, 4 ... workers, each with its own emulated GPU, each count on a fresh
     * local stack: jobs offered at {@code overload} x the GPUs' capacity, so that every worker has
     * a backlog. The emulated GPUs run {@code timeScale} times slower than an H100, so that the
     * GPUs, not the two cores that run every process here, are what limits. Throughput is the pairs
     * the GPUs scored in the steady window; after the run the scenario waits until every accepted
     * job has succeeded and reports the pairs the GPUs scored against the pairs of the jobs
     * accepted (equal when none was scored twice or lost, and no submission the load generator gave
     * up on was accepted after all).
     */
    public static void run(
            Path root,
            int[] counts,
            double timeScale,
            double overload,
            int seconds,
            int warmup,
            String apiKey,
            Path charts)
            throws Exception {
        System.out.printf(
                Locale.ROOT,
                "== scale: %s workers, each with its own emulated GPU (%.0fx slower than an H100); "
                        + "%d s warm-up, %d s measured, offered %.1fx capacity ==%n",
                Arrays.toString(counts),
                timeScale,
                warmup,
                seconds,
                overload);
        List<Map<String, Object>> rows = new ArrayList<>();
        Charts.Series measured = new Charts.Series("scored for jobs, pairs/s (GPU side)");
        Charts.Series finished = new Charts.Series("finished jobs x 10, pairs/s");
        Charts.Series ideal = new Charts.Series("n x one worker", true);
        Charts.Series gpus = new Charts.Series("n GPUs never idle", true);
        double one = 0;
        for (int n : counts) {
            Map<String, String> env =
                    Map.of(
                            "EMULATOR_ARGS",
                            String.format(Locale.ROOT, "--time-scale %s", timeScale),
                            "RERANK_QUOTAS_MAX_IN_FLIGHT_JOBS",
                            "100000");
            try (LocalStack local =
                    LocalStack.start(
                            root, root.resolve("bench/target/stack-scale-" + n), n, env, apiKey)) {
                Harness point = new Harness(local.stack(), seconds, charts);
                try {
                    point.measureCapacity(local.stack().emulators().get(0), 10, 4);
                    double perGpu = point.saturated;
                    double jobsPerSecond = overload * n * perGpu / Harness.DOCS;
                    Harness.Sustained s =
                            point.sustain(
                                    local.stack(),
                                    jobsPerSecond,
                                    warmup + seconds,
                                    warmup,
                                    local.cpuMeter());
                    point.awaitFinished(s.finishedBefore() + s.accepted(), Duration.ofMinutes(10));
                    long scored = local.stack().gpu(point.client).pairs() - s.gpuPairsBefore();
                    double rate = s.gpuPairsPerSecond();
                    if (n == counts[0]) {
                        one = rate / n;
                    }
                    double speedup = rate / one;
                    System.out.printf(
                            Locale.ROOT,
                            "%d worker(s): offered %.1f jobs/s; GPUs scored %.0f pairs/s = %.2fx one worker "
                                    + "(finished jobs: %.0f pairs/s); GPUs busy %s; %.1f pairs per pass; accepted %d, refused %d; after the drain "
                                    + "every accepted job succeeded, the GPUs scored %d pairs for %d accepted%n  CPU: %s%n",
                            n,
                            jobsPerSecond,
                            rate,
                            speedup,
                            s.pairsPerSecond(),
                            s.gpuBusyEach(),
                            s.pairsPerPass(),
                            s.accepted(),
                            s.refused(),
                            scored,
                            s.accepted() * (long) Harness.DOCS,
                            CpuMeter.describe(s.cpu()));
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("workers", n);
                    row.put("offered_jobs_per_s", Harness.round3(jobsPerSecond));
                    row.put("scored_pairs_per_s", Math.round(rate));
                    row.put("finished_pairs_per_s", Math.round(s.pairsPerSecond()));
                    row.put("speedup", Harness.round3(speedup));
                    row.put("gpu_pairs_per_busy_s", Math.round(perGpu));
                    row.put("over_n_gpus", Harness.round3(rate / (n * perGpu)));
                    row.put("gpu_busy_each", s.gpuBusyEach());
                    row.put("accepted", s.accepted());
                    row.put("refused", s.refused());
                    row.put(
                            "scored_over_accepted_pairs",
                            Harness.round3(scored / (double) (s.accepted() * (long) Harness.DOCS)));
                    row.put("cpu_cores", s.cpu());
                    rows.add(row);
                    measured.add(n, rate);
                    finished.add(n, s.pairsPerSecond());
                    ideal.add(n, one * n);
                    gpus.add(n, n * perGpu);
                } finally {
                    point.client.close();
                }
            }
        }
        Path chart =
                Charts.write(
                        charts.resolve("scale.png"),
                        String.format(
                                Locale.ROOT,
                                "scale: one emulated GPU per worker (%.0fx slower than an H100)",
                                timeScale),
                        "workers",
                        true,
                        new Charts.Panel("pairs/s", List.of(measured, finished, ideal, gpus)));
        System.out.println("chart: " + chart);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("time_scale", timeScale);
        figures.put("overload", overload);
        figures.put("warmup_s", warmup);
        figures.put("window_s", seconds);
        figures.put("rows", rows);
        figures.put("speedup_at_max", rows.get(rows.size() - 1).get("speedup"));
        Harness.emit(figures, "scale");
    }
}
