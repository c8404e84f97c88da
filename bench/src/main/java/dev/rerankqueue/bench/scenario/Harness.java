package dev.rerankqueue.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.load.CpuMeter;
import dev.rerankqueue.bench.load.LoadClient;
import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.prompt.Qwen3Prompt;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * What every benchmark scenario shares: the stack under test and a load client for it, the report
 * (lines for people, then one JSON line of figures), the emulated GPU's own capacity measured by
 * feeding it directly, sustained open-loop load, and small helpers. Figures are measured in the run
 * that prints them; nothing is assumed. The scenarios that run on the stack {@code bench/run.sh}
 * starts extend it; {@code Overload} (a stack already running) and {@code Scale} (stacks of its
 * own) do not.
 */
class Harness {

    static final int DOCS = 10;
    static final int DOC_CHARS = 700;

    final Stack stack;
    final LoadClient client;
    final int seconds;
    final Path charts;
    final Map<String, Object> figures = new LinkedHashMap<>();

    /**
     * Pairs per second of GPU time in the last capacity run: what the emulated GPU does when it is
     * never idle.
     */
    double saturated;

    Harness(Stack stack, int seconds, Path charts) {
        this.stack = stack;
        this.client = new LoadClient(stack.apiKey());
        this.seconds = seconds;
        this.charts = charts;
    }

    /**
     * Calls {@code sample} every half second on a thread of its own until the returned handle is
     * closed.
     */
    static AutoCloseable every500ms(Runnable sample) {
        ScheduledExecutorService timer =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "sampler");
                            t.setDaemon(true);
                            return t;
                        });
        Runnable guarded =
                () -> {
                    try {
                        sample.run();
                    } catch (RuntimeException e) {
                        // a missed sample leaves a gap in the chart, nothing more
                    }
                };
        timer.scheduleAtFixedRate(guarded, 0, 500, TimeUnit.MILLISECONDS);
        return () -> {
            timer.shutdownNow();
            guarded.run(); // the last point, at the end of the phase
        };
    }

    void say(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
    }

    void emit(String scenario) {
        emit(figures, scenario);
    }

    static void emit(Map<String, Object> figures, String scenario) {
        figures.put("scenario", scenario);
        System.out.println(JobCodec.toJson(figures));
    }

    /**
     * What one emulated GPU scores when fed directly and ideally: {@code callerCount} callers each
     * sending /score calls of 64 pairs of the workload's shape, in the Qwen3-Reranker template,
     * back to back, so that the GPU always has work queued.
     */
    double measureCapacity(String emulator, int forSeconds, int callerCount) throws Exception {
        Workload w = new Workload(99, 64, DOC_CHARS);
        Stack.GpuCounters before = new Stack(null, List.of(emulator), List.of(), null).gpu(client);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(forSeconds);
        long start = System.nanoTime();
        List<CompletableFuture<Void>> callers = new ArrayList<>();
        for (int c = 0; c < callerCount; c++) {
            callers.add(
                    CompletableFuture.runAsync(
                            () -> {
                                while (System.nanoTime() < end) {
                                    Map<String, Object> req = w.next();
                                    @SuppressWarnings("unchecked")
                                    List<String> docs = (List<String>) req.get("documents");
                                    List<String> t1 = new ArrayList<>();
                                    List<String> t2 = new ArrayList<>();
                                    for (String d : docs) {
                                        t1.add(
                                                Qwen3Prompt.queryText(
                                                        Qwen3Prompt.DEFAULT_INSTRUCTION,
                                                        String.valueOf(req.get("query"))));
                                        t2.add(Qwen3Prompt.documentText(d));
                                    }
                                    client.postJson(
                                                    emulator + "/score",
                                                    JobCodec.toJson(
                                                            Map.of("text_1", t1, "text_2", t2)),
                                                    Duration.ofSeconds(60))
                                            .join();
                                }
                            }));
        }
        CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).join();
        double elapsed = (System.nanoTime() - start) / 1e9;
        Stack.GpuCounters after = new Stack(null, List.of(emulator), List.of(), null).gpu(client);
        double capacity = (after.pairs() - before.pairs()) / elapsed;
        double busy = (after.busySeconds() - before.busySeconds()) / elapsed;
        saturated =
                (after.pairs() - before.pairs())
                        / Math.max(1e-9, after.busySeconds() - before.busySeconds());
        say(
                "capacity of one emulated GPU, fed directly (%d callers x 64-pair /score calls, ~260-token pairs): %.0f pairs/s "
                        + "with the GPU busy %.0f %% of the time; %.0f pairs/s per busy second",
                callerCount, capacity, 100 * busy, saturated);
        return capacity;
    }

    /** What a steady window of open-loop load measured through the whole system. */
    record Sustained(
            double pairsPerSecond,
            double windowSeconds,
            double gpuPairsPerSecond,
            double gpuBusy,
            List<Double> gpuBusyEach,
            double pairsPerPass,
            int accepted,
            int refused,
            long finishedBefore,
            long gpuPairsBefore,
            Map<String, Double> cpu) {}

    /**
     * Offers {@code jobsPerSecond} jobs of {@link #DOCS} documents to {@code on} for {@code
     * forSeconds}, open loop, and counts the pairs of jobs that finished in the window after {@code
     * warmup} seconds; GPU counters and the processes' CPU over the same window. Returns when every
     * send was answered (the backlog may still be draining).
     */
    Sustained sustain(Stack on, double jobsPerSecond, int forSeconds, long warmup, CpuMeter meter)
            throws Exception {
        Workload w = new Workload(1, DOCS, DOC_CHARS);
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        Map<String, Integer> refusals = new ConcurrentHashMap<>();
        long finishedBefore = on.finishedJobs(client, "succeeded");
        long gpuPairsBefore = on.gpu(client).pairs();
        long windowStartJobs = 0;
        double windowStart = 0;
        List<Stack.GpuCounters> gpuAtWindow = List.of();
        List<CompletableFuture<?>> sends = new ArrayList<>();
        long start = System.nanoTime();
        long total = (long) (jobsPerSecond * forSeconds);
        boolean windowOpen = false;
        for (long i = 0; i < total; i++) {
            long intended = start + (long) (i * 1e9 / jobsPerSecond);
            sleepUntil(intended);
            if (!windowOpen && System.nanoTime() - start >= TimeUnit.SECONDS.toNanos(warmup)) {
                windowOpen = true;
                windowStartJobs = on.finishedJobs(client, "succeeded");
                windowStart = System.nanoTime() / 1e9;
                gpuAtWindow = on.gpuEach(client);
                meter.start();
            }
            sends.add(
                    client.postJson(
                                    on.gateway() + "/v1/rerank/jobs",
                                    w.nextJson(),
                                    Duration.ofSeconds(30))
                            .handle(
                                    (r, e) -> {
                                        if (e == null && r.statusCode() == 202) {
                                            return accepted.incrementAndGet();
                                        }
                                        refusals.merge(
                                                e != null
                                                        ? e.getClass().getSimpleName()
                                                        : r.statusCode()
                                                                + " "
                                                                + problemType(r.body()),
                                                1,
                                                Integer::sum);
                                        return refused.incrementAndGet();
                                    }));
        }
        long windowEndJobs = on.finishedJobs(client, "succeeded");
        double window = System.nanoTime() / 1e9 - windowStart;
        List<Stack.GpuCounters> gpuEnd = on.gpuEach(client);
        Map<String, Double> cpu = meter.coresSinceStart();
        List<Double> busyEach = new ArrayList<>();
        long pairs = 0;
        long passes = 0;
        double busySeconds = 0;
        for (int g = 0; g < gpuEnd.size(); g++) {
            double busy = gpuEnd.get(g).busySeconds() - gpuAtWindow.get(g).busySeconds();
            busyEach.add(round3(busy / window));
            busySeconds += busy;
            pairs += gpuEnd.get(g).pairs() - gpuAtWindow.get(g).pairs();
            passes += gpuEnd.get(g).passes() - gpuAtWindow.get(g).passes();
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
        if (!refusals.isEmpty()) {
            say("not accepted, by answer: %s", refusals);
        }
        return new Sustained(
                (windowEndJobs - windowStartJobs) * (double) DOCS / window,
                window,
                pairs / window,
                busySeconds / window / gpuEnd.size(),
                busyEach,
                pairs / (double) Math.max(1, passes),
                accepted.get(),
                refused.get(),
                finishedBefore,
                gpuPairsBefore,
                cpu);
    }

    void awaitFinished(long target, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (stack.finishedJobs(client, "succeeded") < target) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("jobs still unfinished after " + timeout);
            }
            Thread.sleep(200);
        }
    }

    /**
     * What an open-loop run got: the latency of each call after the warm-up (from its intended
     * start), and the calls not answered as expected, by answer.
     */
    record OpenLoop(Recorder latency, Map<String, Integer> failed) {}

    /**
     * Calls {@code path} of the gateway at {@code rate} a second for {@code warmup} plus the
     * scenario's seconds, open loop, each with the next of {@code bodies}; a call not answered
     * {@code ok} is recorded at 30 s.
     */
    OpenLoop openLoop(String path, Supplier<String> bodies, int ok, double rate, int warmup) {
        Recorder recorder = new Recorder();
        Map<String, Integer> failed = new ConcurrentHashMap<>();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        long start = System.nanoTime();
        long warm = (long) (rate * warmup);
        long total = warm + (long) (rate * seconds);
        for (long i = 0; i < total; i++) {
            long intended = start + (long) (i * 1e9 / rate);
            sleepUntil(intended);
            boolean recorded = i >= warm;
            calls.add(
                    client.postJson(stack.gateway() + path, bodies.get(), Duration.ofSeconds(30))
                            .handle(
                                    (r, e) -> {
                                        boolean answered = e == null && r.statusCode() == ok;
                                        if (!answered) {
                                            failed.merge(answer(r, e), 1, Integer::sum);
                                        }
                                        if (recorded) {
                                            recorder.recordNanos(
                                                    answered
                                                            ? System.nanoTime() - intended
                                                            : 30_000_000_000L);
                                        }
                                        return null;
                                    }));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        return new OpenLoop(recorder, failed);
    }

    /** A call's answer: its status and problem type, or the exception that stood for it. */
    static String answer(HttpResponse<String> r, Throwable e) {
        if (e != null) {
            return e.getClass().getSimpleName();
        }
        int status = r.statusCode();
        return status / 100 == 2 ? Integer.toString(status) : status + " " + problemType(r.body());
    }

    /** The {@code type} of a problem+json body, or "" if it is none. */
    static String problemType(String body) {
        try {
            return JobCodec.mapper().readTree(body).path("type").asText("");
        } catch (Exception e) {
            return "";
        }
    }

    static String lastResultData(String sse) {
        String data = null;
        String event = null;
        for (String line : sse.split("\n")) {
            if (line.startsWith("event:")) {
                event = line.substring(6).trim();
            } else if (line.startsWith("data:") && "result".equals(event)) {
                data = line.substring(5).trim();
            }
        }
        return data;
    }

    static JsonNode readTree(String json) {
        try {
            return JobCodec.mapper().readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Polls job {@code id} every {@code pollMs} until it is neither queued nor running; fails after
     * {@code within}.
     */
    static JsonNode awaitTerminal(
            LoadClient client, String gateway, String id, Duration within, long pollMs)
            throws Exception {
        long end = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < end) {
            JsonNode job = client.getJson(gateway + "/v1/rerank/jobs/" + id);
            String status = job.path("status").asText();
            if (!status.equals("queued") && !status.equals("running")) {
                return job;
            }
            Thread.sleep(pollMs);
        }
        throw new IllegalStateException("job " + id + " unfinished after " + within);
    }

    static void sleepUntil(long nanoTime) {
        for (long left = nanoTime - System.nanoTime();
                left > 0;
                left = nanoTime - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
