package dev.rerankqueue.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time of the stack's processes (the pid files deploy/local writes) and of the load generator
 * itself, from {@code /proc/PID/stat}: which process was the bottleneck, and how much of the
 * machine the harness took.
 */
public final class CpuMeter {

    /**
     * Linux reports utime and stime in USER_HZ ticks, 100 per second on every mainstream kernel.
     */
    private static final double TICKS_PER_SECOND = 100.0;

    private final Map<String, Long> pids = new LinkedHashMap<>();
    private Map<String, Long> startTicks = Map.of();
    private long startNanos;

    /**
     * Meters the processes named by {@code pidDir}'s {@code NAME.pid} files (none if it is null or
     * absent) and this JVM.
     */
    public CpuMeter(Path pidDir) {
        if (pidDir != null && Files.isDirectory(pidDir)) {
            try (Stream<Path> files = Files.list(pidDir)) {
                files.filter(f -> f.getFileName().toString().endsWith(".pid"))
                        .sorted()
                        .forEach(
                                f -> {
                                    try {
                                        pids.put(
                                                f.getFileName().toString().replace(".pid", ""),
                                                Long.parseLong(Files.readString(f).trim()));
                                    } catch (IOException | NumberFormatException e) {
                                        // a process that is gone or a half-written file is not
                                        // metered
                                    }
                                });
            } catch (IOException e) {
                // nothing to meter but the harness
            }
        }
        pids.put("load generator (this JVM)", ProcessHandle.current().pid());
    }

    /**
     * The meter of the local stack that bench/run.sh started ({@code RERANK_RUN_DIR}), or of the
     * harness alone.
     */
    public static CpuMeter ofRunDir() {
        String dir = System.getenv("RERANK_RUN_DIR");
        return new CpuMeter(dir == null ? null : Path.of(dir, "pids"));
    }

    public CpuMeter start() {
        startTicks = ticks();
        startNanos = System.nanoTime();
        return this;
    }

    /**
     * Cores used by each process since {@link #start()}, largest first (1.0 = one core busy the
     * whole time).
     */
    public Map<String, Double> coresSinceStart() {
        Map<String, Long> now = ticks();
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        Map<String, Double> out = new LinkedHashMap<>();
        now.entrySet().stream()
                .filter(e -> startTicks.containsKey(e.getKey()))
                .sorted(
                        (a, b) ->
                                Long.compare(
                                        b.getValue() - startTicks.get(b.getKey()),
                                        a.getValue() - startTicks.get(a.getKey())))
                .forEach(
                        e ->
                                out.put(
                                        e.getKey(),
                                        Math.round(
                                                        (e.getValue() - startTicks.get(e.getKey()))
                                                                / TICKS_PER_SECOND
                                                                / seconds
                                                                * 100)
                                                / 100.0));
        return out;
    }

    /**
     * Milliseconds of CPU each process spent per job, from its cores at {@code jobsPerSecond}, and
     * the sum under "all".
     */
    public static Map<String, Double> msPerJob(Map<String, Double> cores, double jobsPerSecond) {
        Map<String, Double> out = new LinkedHashMap<>();
        double all = 0;
        for (Map.Entry<String, Double> e : cores.entrySet()) {
            double ms = jobsPerSecond <= 0 ? 0 : e.getValue() * 1000 / jobsPerSecond;
            all += ms;
            out.put(e.getKey(), Math.round(ms * 100) / 100.0);
        }
        out.put("all", Math.round(all * 100) / 100.0);
        return out;
    }

    /** "gateway 0.85, worker-1 0.35, ..." */
    public static String describe(Map<String, Double> cores) {
        StringBuilder b = new StringBuilder();
        cores.forEach(
                (name, c) ->
                        b.append(b.length() == 0 ? "" : ", ")
                                .append(name)
                                .append(' ')
                                .append(String.format(Locale.ROOT, "%.2f", c)));
        return b.append(" (cores)").toString();
    }

    private Map<String, Long> ticks() {
        Map<String, Long> out = new LinkedHashMap<>();
        pids.forEach(
                (name, pid) -> {
                    Long t = ticks(pid);
                    if (t != null) {
                        out.put(name, t);
                    }
                });
        return out;
    }

    /** utime + stime of {@code pid}, or null when it is not running. */
    static Long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) may hold spaces: count fields after its closing
            // parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
