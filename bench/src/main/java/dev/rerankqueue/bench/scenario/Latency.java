package dev.rerankqueue.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.load.CpuMeter;
import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import dev.rerankqueue.messaging.JobCodec;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code latency}: what the queue adds to scoring at 10 % load, phase by phase. */
public final class Latency extends Harness {

    public Latency(Stack stack, int seconds, Path charts) {
        super(stack, seconds, charts);
    }

    /** At 10 % of capacity: end-to-end time minus scoring time, and SSE delivery delay. */
    public void run() throws Exception {
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
        CpuMeter meter = CpuMeter.ofRunDir();
        for (long i = 0; i < total; i++) {
            long intended = start + (long) (i * 1e9 / jobsPerSecond);
            sleepUntil(intended);
            boolean recorded = i >= warmupJobs;
            if (i == warmupJobs) {
                meter.start();
            }
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
        Map<String, Double> cores = meter.coresSinceStart();
        Map<String, Double> perJob = CpuMeter.msPerJob(cores, jobsPerSecond);
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
        say("CPU while recorded: %s; per job (ms): %s", CpuMeter.describe(cores), perJob);
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
        figures.put("cpu_cores", cores);
        figures.put("cpu_ms_per_job", perJob);
        emit("latency");
    }
}
