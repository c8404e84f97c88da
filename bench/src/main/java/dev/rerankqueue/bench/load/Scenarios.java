package dev.rerankqueue.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.report.Charts;
import dev.rerankqueue.messaging.JobCodec;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The benchmark scenarios. Each prints a human-readable report and ends with one JSON line of its
 * figures. Figures are measured in the run that prints them; nothing is assumed.
 */
public final class Scenarios {

    static final int DOCS = 10;
    static final int DOC_CHARS = 700;
    static final String TEMPLATE_QUERY =
            "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query "
                    + "and the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n"
                    + "<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n<Query>: ";
    static final String TEMPLATE_DOC_END =
            "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

    private final Stack stack;
    private final LoadClient client;
    private final int seconds;
    private final Path charts;
    private final Map<String, Object> figures = new LinkedHashMap<>();

    /**
     * Pairs per second of GPU time in the last capacity run: what the emulated GPU does when it is
     * never idle.
     */
    private double saturated;

    public Scenarios(Stack stack, int seconds, Path charts) {
        this.stack = stack;
        this.client = new LoadClient(stack.apiKey());
        this.seconds = seconds;
        this.charts = charts;
    }

    /**
     * Calls {@code sample} every half second on a thread of its own until the returned handle is
     * closed.
     */
    private static AutoCloseable every500ms(Runnable sample) {
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

    private void say(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
    }

    private void emit(String scenario) {
        emit(figures, scenario);
    }

    private static void emit(Map<String, Object> figures, String scenario) {
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
                                        t1.add(TEMPLATE_QUERY + req.get("query") + "\n");
                                        t2.add("<Document>: " + d + TEMPLATE_DOC_END);
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

    /**
     * Sustained pairs/s through gateway, Kafka, worker and vLLM, divided by the emulator's own
     * capacity.
     */
    public void efficiency() throws Exception {
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
        emit("efficiency");
    }

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
    public static void scale(
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
                Scenarios point = new Scenarios(local.stack(), seconds, charts);
                try {
                    point.measureCapacity(local.stack().emulators().get(0), 10, 4);
                    double perGpu = point.saturated;
                    double jobsPerSecond = overload * n * perGpu / DOCS;
                    Sustained s =
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
                            s.accepted() * (long) DOCS,
                            CpuMeter.describe(s.cpu()));
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("workers", n);
                    row.put("offered_jobs_per_s", round3(jobsPerSecond));
                    row.put("scored_pairs_per_s", Math.round(rate));
                    row.put("finished_pairs_per_s", Math.round(s.pairsPerSecond()));
                    row.put("speedup", round3(speedup));
                    row.put("gpu_pairs_per_busy_s", Math.round(perGpu));
                    row.put("over_n_gpus", round3(rate / (n * perGpu)));
                    row.put("gpu_busy_each", s.gpuBusyEach());
                    row.put("accepted", s.accepted());
                    row.put("refused", s.refused());
                    row.put(
                            "scored_over_accepted_pairs",
                            round3(scored / (double) (s.accepted() * (long) DOCS)));
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
        emit(figures, "scale");
    }

    /**
     * A burst far over capacity: accepted at once, lost nowhere, drained at GPU speed; and the same
     * burst sent directly.
     */
    public void burst(int jobs) throws Exception {
        say("== burst: %d jobs x %d documents as fast as possible ==", jobs, DOCS);
        double capacity =
                measureCapacity(stack.emulators().get(0), 8, 16) * stack.emulators().size();
        Workload w = new Workload(2, DOCS, DOC_CHARS);
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            bodies.add(w.nextJson());
        }
        Recorder accept = new Recorder();
        ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        Semaphore window = new Semaphore(64);
        long startFinished = stack.finishedJobs(client, "succeeded");
        long start = System.nanoTime();
        Charts.Series acceptedLine = new Charts.Series("queue: accepted (202)");
        Charts.Series finishedLine = new Charts.Series("queue: finished (result in Redis)");
        AutoCloseable sampler =
                every500ms(
                        () -> {
                            double t = (System.nanoTime() - start) / 1e9;
                            acceptedLine.add(t, ids.size());
                            try {
                                finishedLine.add(
                                        t, stack.finishedJobs(client, "succeeded") - startFinished);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        CpuMeter meter = CpuMeter.ofRunDir().start();
        List<CompletableFuture<?>> sends = new ArrayList<>();
        for (String body : bodies) {
            window.acquire();
            long sent = System.nanoTime();
            sends.add(
                    client.postJson(
                                    stack.gateway() + "/v1/rerank/jobs",
                                    body,
                                    Duration.ofSeconds(60))
                            .handle(
                                    (r, e) -> {
                                        window.release();
                                        accept.recordNanos(System.nanoTime() - sent);
                                        if (e == null && r.statusCode() == 202) {
                                            ids.add(
                                                    r.body()
                                                            .substring(
                                                                    r.body().indexOf("\"id\":\"")
                                                                            + 6,
                                                                    r.body().indexOf("\"id\":\"")
                                                                            + 42));
                                        } else {
                                            refused.incrementAndGet();
                                        }
                                        return null;
                                    }));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
        double acceptSeconds = (System.nanoTime() - start) / 1e9;
        say(
                "accepted %d of %d in %.1f s (%.0f jobs/s); accept latency %s",
                ids.size(), jobs, acceptSeconds, jobs / acceptSeconds, accept.summary());
        Map<String, Double> acceptCpu = meter.coresSinceStart();
        say("CPU while accepting: %s", CpuMeter.describe(acceptCpu));
        awaitFinished(startFinished + ids.size(), Duration.ofMinutes(20));
        double drainSeconds = (System.nanoTime() - start) / 1e9;
        sampler.close();
        int succeeded = 0;
        int lost = 0;
        for (String id : ids) {
            HttpResponse<String> r = client.get(stack.gateway() + "/v1/rerank/jobs/" + id);
            if (r.statusCode() == 200 && r.body().contains("\"status\":\"succeeded\"")) {
                succeeded++;
            } else {
                lost++;
            }
        }
        double drainRate = ids.size() * (double) DOCS / drainSeconds;
        say(
                "drained in %.1f s: %.0f pairs/s = %.3f x capacity (%.0f pairs/s); succeeded %d, lost %d",
                drainSeconds, drainRate, drainRate / capacity, capacity, succeeded, lost);

        say(
                "-- the same burst sent straight to the model server (a synchronous proxy with a 30 s timeout) --");
        Recorder direct = new Recorder();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger timeouts = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long directStart = System.nanoTime();
        Charts.Series answeredLine = new Charts.Series("direct: answered (200)");
        Charts.Series failedLine = new Charts.Series("direct: timed out or failed");
        AutoCloseable directSampler =
                every500ms(
                        () -> {
                            double t = (System.nanoTime() - directStart) / 1e9;
                            answeredLine.add(t, ok.get());
                            failedLine.add(t, timeouts.get() + errors.get());
                        });
        List<CompletableFuture<?>> directSends = new ArrayList<>();
        for (String body : bodies) {
            long sent = System.nanoTime();
            directSends.add(
                    client.postJson(
                                    stack.emulators().get(0) + "/v1/rerank",
                                    body,
                                    Duration.ofSeconds(30))
                            .handle(
                                    (r, e) -> {
                                        direct.recordNanos(System.nanoTime() - sent);
                                        if (e == null && r.statusCode() == 200) {
                                            ok.incrementAndGet();
                                        } else if (e != null
                                                && (e instanceof HttpTimeoutException
                                                        || e.getCause()
                                                                instanceof
                                                                java.net.http
                                                                        .HttpTimeoutException)) {
                                            timeouts.incrementAndGet();
                                        } else {
                                            errors.incrementAndGet();
                                        }
                                        return null;
                                    }));
        }
        CompletableFuture.allOf(directSends.toArray(CompletableFuture[]::new)).join();
        directSampler.close();
        say(
                "chart: %s",
                Charts.write(
                        charts.resolve("burst.png"),
                        String.format(
                                Locale.ROOT,
                                "burst of %d jobs x %d documents: through the queue vs straight to the model server",
                                jobs,
                                DOCS),
                        "seconds since the first request",
                        false,
                        new Charts.Panel(
                                "jobs",
                                List.of(acceptedLine, finishedLine, answeredLine, failedLine))));
        say(
                "direct: %d ok, %d timed out, %d errors of %d in %.1f s; latency %s",
                ok.get(),
                timeouts.get(),
                errors.get(),
                jobs,
                (System.nanoTime() - directStart) / 1e9,
                direct.summary());
        figures.put("jobs", jobs);
        figures.put("accepted", ids.size());
        figures.put("accepted_pct", round3(100.0 * ids.size() / jobs));
        figures.put("accept_p50_ms", round3(accept.percentileMillis(50)));
        figures.put("accept_p99_ms", round3(accept.percentileMillis(99)));
        figures.put("lost", lost);
        figures.put("drain_s", round3(drainSeconds));
        figures.put("drain_rate_over_capacity", round3(drainRate / capacity));
        figures.put("direct_ok", ok.get());
        figures.put("direct_timeouts", timeouts.get());
        figures.put("direct_errors", errors.get());
        figures.put("cpu_cores_while_accepting", acceptCpu);
        emit("burst");
    }

    /**
     * Interactive calls while a bulk backfill drains: the sync endpoint at 10 % of capacity alone,
     * then again right after {@code bulkJobs} jobs were submitted through the bulk endpoint (batch
     * lane); and a few jobs sent in the batch lane after the bulk, which wait their turn as every
     * job would in a single FIFO queue.
     */
    public void priority(int bulkJobs) throws Exception {
        say("== priority: interactive calls while a %d-job bulk backfill drains ==", bulkJobs);
        double capacity =
                measureCapacity(stack.emulators().get(0), 8, 16) * stack.emulators().size();
        double rate = 0.1 * capacity / DOCS;
        say(
                "interactive load: POST /v1/rerank (sync, interactive lane) at %.1f calls/s (10 %% of capacity), %d documents each, open loop",
                rate, DOCS);
        interactive(
                rate,
                15,
                new Workload(4, DOCS, DOC_CHARS),
                new Recorder()); // warm-up of a fresh stack, not recorded
        Recorder alone = new Recorder();
        int aloneFailed = interactive(rate, seconds, new Workload(5, DOCS, DOC_CHARS), alone);
        say(
                "interactive alone, %d s:              %s; failed %d",
                seconds, alone.summary(), aloneFailed);

        Workload bulk = new Workload(6, DOCS, DOC_CHARS);
        List<String> batches = new ArrayList<>();
        int accepted = 0;
        long submitStart = System.nanoTime();
        int perRequest =
                500; // 500 jobs of 10 x 700-character documents: 3.6 MB, under the 4 MiB body limit
        for (int sent = 0; sent < bulkJobs; sent += perRequest) {
            List<Map<String, Object>> jobs = new ArrayList<>();
            for (int i = sent; i < Math.min(bulkJobs, sent + perRequest); i++) {
                jobs.add(bulk.next());
            }
            HttpResponse<String> r =
                    client.postJson(
                                    stack.gateway() + "/v1/rerank/jobs:batch",
                                    JobCodec.toJson(Map.of("jobs", jobs)),
                                    Duration.ofSeconds(120))
                            .join();
            if (r.statusCode() != 202) {
                throw new IllegalStateException(
                        "bulk submit answered " + r.statusCode() + ": " + r.body());
            }
            JsonNode body = readTree(r.body());
            batches.add(body.get("batch_id").asText());
            accepted += body.get("accepted").asInt();
        }
        double submitSeconds = (System.nanoTime() - submitStart) / 1e9;
        say(
                "bulk: %d jobs accepted in %d requests in %.1f s",
                accepted, batches.size(), submitSeconds);
        Workload late = new Workload(8, DOCS, DOC_CHARS);
        List<String> fifo = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Map<String, Object> job = new LinkedHashMap<>(late.next());
            job.put("priority", "batch");
            fifo.add(
                    readTree(
                                    client.postJson(
                                                    stack.gateway() + "/v1/rerank/jobs",
                                                    JobCodec.toJson(job),
                                                    Duration.ofSeconds(30))
                                            .join()
                                            .body())
                            .get("id")
                            .asText());
        }
        Recorder during = new Recorder();
        int duringFailed = interactive(rate, seconds, new Workload(7, DOCS, DOC_CHARS), during);
        long left = bulkLeft(batches);
        say(
                "interactive during the drain, %d s:   %s; failed %d; bulk jobs still queued or running at its end: %d",
                seconds, during.summary(), duringFailed, left);
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (bulkLeft(batches) > 0 && System.nanoTime() < end) {
            Thread.sleep(500);
        }
        double drainSeconds = (System.nanoTime() - submitStart) / 1e9;
        long succeeded = 0;
        for (String b : batches) {
            succeeded +=
                    client.getJson(stack.gateway() + "/v1/rerank/batches/" + b)
                            .path("counts")
                            .path("succeeded")
                            .asLong();
        }
        Recorder fifoWait = new Recorder();
        for (String id : fifo) {
            JsonNode job = client.getJson(stack.gateway() + "/v1/rerank/jobs/" + id);
            fifoWait.recordNanos(
                    TimeUnit.MILLISECONDS.toNanos(job.path("timings").path("total_ms").asLong()));
        }
        double drainRate = accepted * (double) DOCS / drainSeconds;
        say(
                "bulk drained in %.1f s from its first submit: %.0f pairs/s = %.3f x capacity, interactive calls included; "
                        + "succeeded %d of %d",
                drainSeconds, drainRate, drainRate / capacity, succeeded, accepted);
        say(
                "jobs sent in the batch lane after the bulk (what every call would wait in one FIFO queue): %s",
                fifoWait.summary());
        figures.put("bulk_jobs", accepted);
        figures.put("bulk_succeeded", succeeded);
        figures.put("bulk_submit_s", round3(submitSeconds));
        figures.put("bulk_left_after_window", left);
        figures.put("bulk_drain_s", round3(drainSeconds));
        figures.put("drain_rate_over_capacity", round3(drainRate / capacity));
        figures.put("interactive_calls_per_s", round3(rate));
        figures.put("alone_p50_ms", round3(alone.percentileMillis(50)));
        figures.put("alone_p99_ms", round3(alone.percentileMillis(99)));
        figures.put("during_bulk_p50_ms", round3(during.percentileMillis(50)));
        figures.put("during_bulk_p99_ms", round3(during.percentileMillis(99)));
        figures.put("during_bulk_failed", duringFailed);
        figures.put("fifo_p50_ms", round3(fifoWait.percentileMillis(50)));
        emit("priority");
    }

    /**
     * Sync calls at {@code rate} per second for {@code forSeconds}, latency from each call's
     * intended start; returns the failed count.
     */
    private int interactive(double rate, int forSeconds, Workload w, Recorder latency) {
        AtomicInteger failed = new AtomicInteger();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        long start = System.nanoTime();
        long total = (long) (rate * forSeconds);
        for (long i = 0; i < total; i++) {
            long intended = start + (long) (i * 1e9 / rate);
            sleepUntil(intended);
            calls.add(
                    client.postJson(
                                    stack.gateway() + "/v1/rerank",
                                    w.nextJson(),
                                    Duration.ofSeconds(60))
                            .handle(
                                    (r, e) -> {
                                        if (e == null && r.statusCode() == 200) {
                                            latency.recordNanos(System.nanoTime() - intended);
                                        } else {
                                            failed.incrementAndGet();
                                        }
                                        return null;
                                    }));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        return failed.get();
    }

    /** Bulk jobs not finished yet, over {@code batches}. */
    private long bulkLeft(List<String> batches) throws Exception {
        long left = 0;
        for (String b : batches) {
            JsonNode status = client.getJson(stack.gateway() + "/v1/rerank/batches/" + b);
            left += status.path("total").asLong() - status.path("finished").asLong();
        }
        return left;
    }

    /** At 10 % of capacity: end-to-end time minus scoring time, and SSE delivery delay. */
    public void latency() throws Exception {
        say("== latency: at 10 %% of capacity, what the queue adds to scoring ==");
        double capacity =
                measureCapacity(stack.emulators().get(0), 8, 16) * stack.emulators().size();
        double jobsPerSecond = 0.1 * capacity / DOCS;
        int warmup = 15;
        say(
                "offering %.1f jobs/s for %d s of warm-up (not recorded), then %d s recorded, open loop; each job followed over SSE",
                jobsPerSecond, warmup, seconds);
        Workload w = new Workload(3, DOCS, DOC_CHARS);
        Recorder endToEnd = new Recorder();
        Recorder overhead = new Recorder();
        Recorder sseDelay = new Recorder();
        Recorder queued = new Recorder();
        Recorder afterScoring = new Recorder();
        Recorder outsideJob = new Recorder();
        AtomicInteger failed = new AtomicInteger();
        List<CompletableFuture<?>> flows = new ArrayList<>();
        long start = System.nanoTime();
        long warmupJobs = (long) (jobsPerSecond * warmup);
        long total = warmupJobs + (long) (jobsPerSecond * seconds);
        for (long i = 0; i < total; i++) {
            long intended = start + (long) (i * 1e9 / jobsPerSecond);
            sleepUntil(intended);
            boolean recorded = i >= warmupJobs;
            flows.add(
                    client.postJson(
                                    stack.gateway() + "/v1/rerank/jobs",
                                    w.nextJson(),
                                    Duration.ofSeconds(30))
                            .thenCompose(
                                    r -> {
                                        String id =
                                                JobCodec.fromJson(r.body(), Map.class)
                                                        .get("id")
                                                        .toString();
                                        return client.http()
                                                .sendAsync(
                                                        client.request(
                                                                        stack.gateway()
                                                                                + "/v1/rerank/jobs/"
                                                                                + id
                                                                                + "/events",
                                                                        Duration.ofSeconds(60))
                                                                .header(
                                                                        "Accept",
                                                                        "text/event-stream")
                                                                .GET()
                                                                .build(),
                                                        HttpResponse.BodyHandlers.ofString());
                                    })
                            .thenAccept(
                                    sse -> {
                                        if (!recorded) {
                                            return;
                                        }
                                        long now = System.nanoTime();
                                        long wallNow = System.currentTimeMillis();
                                        String data = lastResultData(sse.body());
                                        if (data == null) {
                                            failed.incrementAndGet();
                                            return;
                                        }
                                        JsonNode job = readTree(data);
                                        long e2e = now - intended;
                                        endToEnd.recordNanos(e2e);
                                        JsonNode t = job.path("timings");
                                        overhead.recordNanos(
                                                e2e
                                                        - TimeUnit.MILLISECONDS.toNanos(
                                                                t.path("scoring_ms").asLong()));
                                        long sseMs =
                                                wallNow
                                                        - Instant.parse(
                                                                        job.get("finished_at")
                                                                                .asText())
                                                                .toEpochMilli();
                                        sseDelay.recordNanos(TimeUnit.MILLISECONDS.toNanos(sseMs));
                                        // where the overhead goes, from the job's own timestamps
                                        // (ms): created -> scoring starts ->
                                        // scoring ends -> result written; then the SSE event; the
                                        // rest is the client's HTTP before created_at
                                        queued.recordNanos(
                                                TimeUnit.MILLISECONDS.toNanos(
                                                        t.path("queued_ms").asLong()));
                                        afterScoring.recordNanos(
                                                TimeUnit.MILLISECONDS.toNanos(
                                                        t.path("total_ms").asLong()
                                                                - t.path("queued_ms").asLong()
                                                                - t.path("scoring_ms").asLong()));
                                        outsideJob.recordNanos(
                                                e2e
                                                        - TimeUnit.MILLISECONDS.toNanos(
                                                                t.path("total_ms").asLong()
                                                                        + sseMs));
                                    })
                            .exceptionally(
                                    e -> {
                                        failed.incrementAndGet();
                                        return null;
                                    }));
        }
        CompletableFuture.allOf(flows.toArray(CompletableFuture[]::new)).join();
        say("end to end (submit -> SSE result): %s", endToEnd.summary());
        say(
                "end to end minus scoring time:     %s   (goal p50 <= 10 ms, p99 <= 50 ms)",
                overhead.summary());
        say("  of which: accepted -> scoring starts (produce, poll, claim): %s", queued.summary());
        say(
                "            scoring ends -> result written (Redis, results topic):  %s",
                afterScoring.summary());
        say(
                "            result written -> SSE event at the client:            %s",
                sseDelay.summary());
        say(
                "            the client's submit before the job was created, rest:  %s   (ms resolution in all four)",
                outsideJob.summary());
        say("failed flows: %d", failed.get());
        figures.put("jobs_per_s", round3(jobsPerSecond));
        figures.put("e2e_p50_ms", round3(endToEnd.percentileMillis(50)));
        figures.put("e2e_p99_ms", round3(endToEnd.percentileMillis(99)));
        figures.put("overhead_p50_ms", round3(overhead.percentileMillis(50)));
        figures.put("overhead_p99_ms", round3(overhead.percentileMillis(99)));
        figures.put("sse_delay_p50_ms", round3(sseDelay.percentileMillis(50)));
        figures.put("sse_delay_p99_ms", round3(sseDelay.percentileMillis(99)));
        figures.put("queued_p50_ms", round3(queued.percentileMillis(50)));
        figures.put("after_scoring_p50_ms", round3(afterScoring.percentileMillis(50)));
        figures.put("outside_job_p50_ms", round3(outsideJob.percentileMillis(50)));
        figures.put("failed", failed.get());
        emit("latency");
    }

    /**
     * Closed loop at 10/30/50/100 clients: the model server directly, our sync endpoint, and async
     * submit + SSE.
     */
    public void seedTable(int[] levels) throws Exception {
        say(
                "== seed-table: %d documents per request, %d s per cell, closed loop ==",
                DOCS, seconds);
        say("warming up the gateway and the worker (15 s at 30 clients each way, not recorded)");
        warmupCells();
        say(
                "%-8s | %-28s | %-28s | %-28s | %s",
                "clients",
                "(a) model server directly",
                "(b) sync /v1/rerank",
                "(c) async + SSE",
                "b/a");
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Charts.Series> rps =
                List.of(
                        new Charts.Series("(a) model server directly"),
                        new Charts.Series("(b) sync /v1/rerank"),
                        new Charts.Series("(c) async + SSE"));
        List<Charts.Series> p99 =
                List.of(
                        new Charts.Series("(a) p99"),
                        new Charts.Series("(b) p99"),
                        new Charts.Series("(c) p99"));
        CpuMeter meter = CpuMeter.ofRunDir().start();
        for (int clients : levels) {
            double[] a = closedLoop(clients, "direct");
            double[] b = closedLoop(clients, "sync");
            double[] c = closedLoop(clients, "async");
            double[][] cells = {a, b, c};
            for (int i = 0; i < 3; i++) {
                rps.get(i).add(clients, cells[i][0]);
                p99.get(i).add(clients, cells[i][2]);
            }
            say(
                    "%-8d | %6.1f req/s p50 %5.0f p99 %5.0f | %6.1f req/s p50 %5.0f p99 %5.0f | %6.1f req/s p50 %5.0f p99 %5.0f | %.3f",
                    clients, a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2], b[0] / a[0]);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("clients", clients);
            row.put("direct_rps", round3(a[0]));
            row.put("sync_rps", round3(b[0]));
            row.put("async_rps", round3(c[0]));
            row.put("sync_over_direct", round3(b[0] / a[0]));
            row.put("direct_p99_ms", round3(a[2]));
            row.put("sync_p99_ms", round3(b[2]));
            row.put("async_p99_ms", round3(c[2]));
            rows.add(row);
        }
        Map<String, Double> cpu = meter.coresSinceStart();
        say("CPU over the table: %s", CpuMeter.describe(cpu));
        say(
                "chart: %s",
                Charts.write(
                        charts.resolve("seed-table.png"),
                        String.format(
                                Locale.ROOT,
                                "closed loop, %d documents per request: throughput and latency vs clients",
                                DOCS),
                        "concurrent clients",
                        true,
                        new Charts.Panel("requests/s", rps),
                        new Charts.Panel("p99 latency, ms", p99)));
        figures.put("rows", rows);
        figures.put("cpu_cores", cpu);
        emit("seed-table");
    }

    private void warmupCells() throws Exception {
        for (String mode : List.of("sync", "async")) {
            closedLoop(30, mode, 15);
        }
    }

    /** {requests/s, p50 ms, p99 ms} of {@code clients} closed loops for the configured time. */
    private double[] closedLoop(int clients, String mode) throws Exception {
        return closedLoop(clients, mode, seconds);
    }

    private double[] closedLoop(int clients, String mode, int seconds) throws Exception {
        Workload w = new Workload(clients * 31L + mode.hashCode(), DOCS, DOC_CHARS);
        Recorder latency = new Recorder();
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            loops.add(
                    CompletableFuture.runAsync(
                            () -> {
                                while (System.nanoTime() < end) {
                                    long t0 = System.nanoTime();
                                    try {
                                        boolean ok =
                                                switch (mode) {
                                                    case "direct" ->
                                                            client.postJson(
                                                                                    stack.emulators()
                                                                                                    .get(
                                                                                                            0)
                                                                                            + "/v1/rerank",
                                                                                    w.nextJson(),
                                                                                    Duration
                                                                                            .ofSeconds(
                                                                                                    60))
                                                                            .join()
                                                                            .statusCode()
                                                                    == 200;
                                                    case "sync" ->
                                                            client.postJson(
                                                                                    stack.gateway()
                                                                                            + "/v1/rerank",
                                                                                    w.nextJson(),
                                                                                    Duration
                                                                                            .ofSeconds(
                                                                                                    60))
                                                                            .join()
                                                                            .statusCode()
                                                                    == 200;
                                                    default -> {
                                                        HttpResponse<String> r =
                                                                client.postJson(
                                                                                stack.gateway()
                                                                                        + "/v1/rerank/jobs",
                                                                                w.nextJson(),
                                                                                Duration.ofSeconds(
                                                                                        60))
                                                                        .join();
                                                        String id =
                                                                JobCodec.fromJson(
                                                                                r.body(), Map.class)
                                                                        .get("id")
                                                                        .toString();
                                                        String events =
                                                                client.http()
                                                                        .send(
                                                                                client.request(
                                                                                                stack
                                                                                                                .gateway()
                                                                                                        + "/v1/rerank/jobs/"
                                                                                                        + id
                                                                                                        + "/events",
                                                                                                Duration
                                                                                                        .ofSeconds(
                                                                                                                60))
                                                                                        .header(
                                                                                                "Accept",
                                                                                                "text/event-stream")
                                                                                        .GET()
                                                                                        .build(),
                                                                                HttpResponse
                                                                                        .BodyHandlers
                                                                                        .ofString())
                                                                        .body();
                                                        yield lastResultData(events) != null;
                                                    }
                                                };
                                        if (ok) {
                                            latency.recordNanos(System.nanoTime() - t0);
                                            done.incrementAndGet();
                                        }
                                    } catch (Exception e) {
                                        // counted as not done
                                    }
                                }
                            },
                            threads));
        }
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
        threads.shutdown();
        return new double[] {
            done.get() / (double) seconds,
            latency.percentileMillis(50),
            latency.percentileMillis(99)
        };
    }

    private void awaitFinished(long target, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (stack.finishedJobs(client, "succeeded") < target) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("jobs still unfinished after " + timeout);
            }
            Thread.sleep(200);
        }
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
