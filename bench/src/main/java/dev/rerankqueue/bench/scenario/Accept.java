package dev.rerankqueue.bench.scenario;

import dev.rerankqueue.bench.load.CpuMeter;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code accept}: the gateway's accept ceiling, measured as a user would, with an outside load
 * generator ({@code wrk}, Debian's package) and the workers paused (SIGSTOP), so that only the
 * accept path (HTTP, validation, quotas, Kafka, Redis) runs. Three phases on the same fresh
 * gateway: the first seconds after start (cold), the ceiling (many connections back to back), and
 * half of the ceiling paced (accept latency where the gateway has room). CPU per accepted job is
 * given per process, wrk included, so the figure measures the system and not the load generator.
 */
public final class Accept extends Harness {

    private static final String JOBS = "/v1/rerank/jobs";

    /** Distinct request bodies wrk cycles through (each its own query and documents). */
    private static final int BODIES = 64;

    private final int connections;

    public Accept(Stack stack, int seconds, Path charts, int connections) {
        super(stack, seconds, charts);
        this.connections = connections;
    }

    /** What one wrk run reported, and the CPU every process used while it ran. */
    record Phase(
            long requests,
            long non2xx,
            long socketErrors,
            double seconds,
            double p50Ms,
            double p99Ms,
            Map<Integer, Long> statuses,
            Map<String, Double> cores,
            long timeouts,
            double maxMs) {

        double acceptedPerSecond() {
            return (requests - non2xx) / seconds;
        }

        /** Milliseconds of CPU per accepted job, per process, and their sum under "all". */
        Map<String, Double> cpuMsPerJob() {
            return CpuMeter.msPerJob(cores, acceptedPerSecond());
        }

        double totalCpuMsPerJob() {
            return cpuMsPerJob().get("all");
        }

        Map<String, Object> figures() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("accepted_per_s", Math.round(acceptedPerSecond()));
            f.put("not_accepted", non2xx + socketErrors);
            f.put("answers", statuses);
            f.put("accept_p50_ms", p50Ms);
            f.put("accept_p99_ms", p99Ms);
            f.put("accept_max_ms", maxMs);
            f.put("unanswered_within_timeout", timeouts);
            f.put("cpu_cores", cores);
            f.put("cpu_ms_per_job", cpuMsPerJob());
            f.put("cpu_ms_per_job_total", totalCpuMsPerJob());
            return f;
        }
    }

    public void run() throws Exception {
        say(
                "== accept: the gateway's ceiling with wrk (%d connections), workers paused ==",
                connections);
        Path script = writeScript();
        List<Long> workers = workerPids();
        signal("STOP", workers);
        try {
            Phase cold = wrk(script, connections, 5, 0, 30);
            report("first 5 s after start (cold)", cold);
            Phase ceiling = wrk(script, connections, seconds, 0, 30);
            report("ceiling", ceiling);
            // half the ceiling, paced: each of 16 connections waits between its requests
            int paced = 16;
            double half = ceiling.acceptedPerSecond() / 2;
            long delayMs = Math.max(1, Math.round(paced * 1000 / half));
            Phase halfLoad = wrk(script, paced, seconds, delayMs, 30);
            report(
                    String.format(
                            Locale.ROOT,
                            "half the ceiling (%d connections, %d ms between requests)",
                            paced,
                            delayMs),
                    halfLoad);
            figures.put("connections", connections);
            figures.put("cold", cold.figures());
            figures.put("ceiling", ceiling.figures());
            figures.put("half_load", halfLoad.figures());
            figures.put("ceiling_jobs_per_s", Math.round(ceiling.acceptedPerSecond()));
            figures.put("half_load_accept_p99_ms", halfLoad.p99Ms());
            figures.put("cpu_ms_per_job_at_ceiling", ceiling.totalCpuMsPerJob());
        } finally {
            signal("CONT", workers);
        }
        emit("accept");
    }

    /**
     * {@code flood}: {@code connections} clients (2,048 by default) submitting back to back for
     * {@code seconds}, workers running and admission on, with wrk giving each request 1 s: how many
     * got their answer (202, 429 or 503) within that second, and how late the latest was.
     */
    public void flood() throws Exception {
        say(
                "== flood: %d connections submitting back to back for %d s, workers running;"
                        + " an answer later than 1 s counts as unanswered ==",
                connections, seconds);
        Path script = writeScript();
        Phase flood = wrk(script, connections, seconds, 0, 1);
        report("flood", flood);
        say(
                "  answers %d; wrk timeouts %d (requests still unanswered after 1 s, counted at wrk's"
                        + " checks); latest answer %.0f ms",
                flood.requests(), flood.timeouts(), flood.maxMs());
        figures.put("connections", connections);
        figures.put("flood", flood.figures());
        figures.put("unanswered_within_1s", flood.timeouts());
        figures.put("max_answer_ms", flood.maxMs());
        emit("flood");
    }

    private void report(String name, Phase p) {
        say(
                "%s: %.0f jobs/s accepted, %d not (answers by status %s, socket errors %d); accept"
                        + " p50 %.1f ms, p99 %.1f ms",
                name,
                p.acceptedPerSecond(),
                p.non2xx() + p.socketErrors(),
                p.statuses(),
                p.socketErrors(),
                p.p50Ms(),
                p.p99Ms());
        say("  CPU %s", CpuMeter.describe(p.cores()));
        say(
                "  CPU per accepted job (ms): %s, all together %.2f",
                p.cpuMsPerJob(), p.totalCpuMsPerJob());
    }

    /**
     * Runs wrk for {@code forSeconds} with {@code conns} connections ({@code delayMs} between a
     * connection's requests, 0 for none), metering the stack's processes and wrk itself.
     */
    private Phase wrk(Path script, int conns, int forSeconds, long delayMs, int timeoutSeconds)
            throws IOException, InterruptedException {
        // wrk's own CPU time: bash's `times` after it ends (a reaped process has no /proc entry)
        List<String> command =
                List.of(
                        "bash",
                        "-c",
                        "wrk \"$@\"; rc=$?; times; exit $rc",
                        "wrk",
                        "-t",
                        "2",
                        "-c",
                        Integer.toString(conns),
                        "-d",
                        forSeconds + "s",
                        "--timeout",
                        timeoutSeconds + "s",
                        "-s",
                        script.toString(),
                        stack.gateway());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("WRK_DELAY_MS", Long.toString(delayMs));
        CpuMeter meter = CpuMeter.ofRunDir().start();
        long started = System.nanoTime();
        Process wrk = pb.start();
        String out = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, Double> cores = new LinkedHashMap<>(meter.coresSinceStart());
        double elapsed = (System.nanoTime() - started) / 1e9;
        if (wrk.waitFor() != 0) {
            throw new IllegalStateException("wrk failed:\n" + out);
        }
        List<String> lines = out.lines().toList();
        String[] childTimes = lines.get(lines.size() - 1).trim().split("\\s+");
        cores.put(
                "wrk",
                Math.round((seconds(childTimes[0]) + seconds(childTimes[1])) / elapsed * 100)
                        / 100.0);
        cores.remove("load generator (this JVM)"); // idle while wrk runs
        String[] f =
                lines.stream()
                        .filter(l -> l.startsWith("RESULT "))
                        .findFirst()
                        .orElseThrow(() -> new IllegalStateException("no wrk summary in:\n" + out))
                        .split(" ");
        // one answer of each refused status, for the report to say why
        lines.stream().filter(l -> l.startsWith("SAMPLE ")).distinct().forEach(l -> say("  %s", l));
        Map<Integer, Long> statuses = new TreeMap<>();
        lines.stream()
                .filter(l -> l.startsWith("STATUS "))
                .map(l -> l.split(" "))
                .forEach(p -> statuses.put(Integer.parseInt(p[1]), Long.parseLong(p[2])));
        return new Phase(
                Long.parseLong(f[1]),
                Long.parseLong(f[2]),
                Long.parseLong(f[3]),
                Long.parseLong(f[4]) / 1e6,
                Long.parseLong(f[5]) / 1000.0,
                Long.parseLong(f[6]) / 1000.0,
                statuses,
                cores,
                Long.parseLong(f[7]),
                Long.parseLong(f[8]) / 1000.0);
    }

    /** bash's {@code times} format: {@code 0m1.234s}. */
    private static double seconds(String minutesAndSeconds) {
        int m = minutesAndSeconds.indexOf('m');
        return Integer.parseInt(minutesAndSeconds.substring(0, m)) * 60
                + Double.parseDouble(
                        minutesAndSeconds.substring(m + 1, minutesAndSeconds.length() - 1));
    }

    /**
     * wrk's Lua script: POSTs {@link #BODIES} distinct jobs in turn, optionally paced, and prints
     * one summary line (requests, non-2xx, socket errors, duration µs, p50 µs, p99 µs).
     */
    private Path writeScript() throws IOException {
        Workload w = new Workload(14, DOCS, DOC_CHARS);
        StringBuilder lua = new StringBuilder("local bodies = {\n");
        for (int i = 0; i < BODIES; i++) {
            lua.append("[==[").append(w.nextJson()).append("]==],\n");
        }
        lua.append("}\n")
                .append("wrk.method = \"POST\"\n")
                .append("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        if (stack.apiKey() != null && !stack.apiKey().isBlank()) {
            lua.append("wrk.headers[\"Authorization\"] = \"Bearer ")
                    .append(stack.apiKey())
                    .append("\"\n");
        }
        lua.append(
                """
                local threads = {}
                setup = function(thread) table.insert(threads, thread) end
                statuses = {}
                samples = {}
                response = function(status, headers, body)
                  statuses[status] = (statuses[status] or 0) + 1
                  if status >= 300 and not samples[status] then
                    samples[status] = string.sub(string.gsub(body or "", "%%s+", " "), 1, 300)
                  end
                end
                local n = 0
                request = function()
                  n = n + 1
                  return wrk.format(nil, "%s", nil, bodies[(n %% #bodies) + 1])
                end
                local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
                if pause > 0 then
                  delay = function() return pause end
                end
                done = function(summary, latency, requests)
                  local e = summary.errors
                  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
                    e.status, e.connect + e.read + e.write + e.timeout, summary.duration,
                    latency:percentile(50), latency:percentile(99), e.timeout, latency.max))
                  local all = {}
                  for _, t in ipairs(threads) do
                    for status, count in pairs(t:get("statuses")) do
                      all[status] = (all[status] or 0) + count
                    end
                  end
                  for status, count in pairs(all) do
                    io.write(string.format("STATUS %%d %%d\\n", status, count))
                  end
                  for _, t in ipairs(threads) do
                    for status, body in pairs(t:get("samples")) do
                      io.write(string.format("SAMPLE %%d %%s\\n", status, body))
                    end
                  end
                end
                """
                        .formatted(JOBS));
        Path script = Path.of("bench/target/accept.lua").toAbsolutePath();
        Files.createDirectories(script.getParent());
        Files.writeString(script, lua);
        return script;
    }

    /** The workers of the stack bench/run.sh started ({@code RERANK_RUN_DIR/pids/worker-*.pid}). */
    private static List<Long> workerPids() throws IOException {
        String dir = System.getenv("RERANK_RUN_DIR");
        List<Long> pids = new ArrayList<>();
        if (dir == null) {
            return pids;
        }
        try (var files = Files.list(Path.of(dir, "pids"))) {
            for (Path f :
                    files.filter(p -> p.getFileName().toString().startsWith("worker-")).toList()) {
                pids.add(Long.parseLong(Files.readString(f).trim()));
            }
        }
        return pids;
    }

    private static void signal(String name, List<Long> pids)
            throws IOException, InterruptedException {
        for (long pid : pids) {
            new ProcessBuilder("kill", "-" + name, Long.toString(pid))
                    .inheritIO()
                    .start()
                    .waitFor();
        }
    }
}
