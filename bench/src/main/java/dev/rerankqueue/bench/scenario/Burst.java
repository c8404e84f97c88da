package dev.rerankqueue.bench.scenario;

import dev.rerankqueue.bench.load.CpuMeter;
import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import dev.rerankqueue.bench.report.Charts;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code burst}: thousands of jobs at once, against a synchronous proxy fed the same burst. */
public final class Burst extends Harness {

    public Burst(Stack stack, int seconds, Path charts) {
        super(stack, seconds, charts);
    }

    /**
     * A burst far over capacity: accepted at once, lost nowhere, drained at GPU speed; and the same
     * burst sent directly.
     */
    public void run(int jobs) throws Exception {
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
                                            ids.add(readTree(r.body()).path("id").asText());
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
        Map<String, Double> perJob = CpuMeter.msPerJob(acceptCpu, ids.size() / acceptSeconds);
        say("CPU per accepted job while accepting (ms): %s", perJob);
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
        figures.put("cpu_ms_per_job_while_accepting", perJob);
        emit("burst");
    }
}
