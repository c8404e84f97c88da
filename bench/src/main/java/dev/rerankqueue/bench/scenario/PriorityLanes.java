package dev.rerankqueue.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import dev.rerankqueue.messaging.JobCodec;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code priority}: interactive calls while a large backfill drains in the batch lane. */
public final class PriorityLanes extends Harness {

    public PriorityLanes(Stack stack, int seconds, Path charts) {
        super(stack, seconds, charts);
    }

    /**
     * Interactive calls while a bulk backfill drains: the sync endpoint at 10 % of capacity alone,
     * then again right after {@code bulkJobs} jobs were submitted through the bulk endpoint (batch
     * lane); and a few jobs sent in the batch lane after the bulk, which wait their turn as every
     * job would in a single FIFO queue.
     */
    public void run(int bulkJobs) throws Exception {
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
    int interactive(double rate, int forSeconds, Workload w, Recorder latency) {
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
    long bulkLeft(List<String> batches) throws Exception {
        long left = 0;
        for (String b : batches) {
            JsonNode status = client.getJson(stack.gateway() + "/v1/rerank/batches/" + b);
            left += status.path("total").asLong() - status.path("finished").asLong();
        }
        return left;
    }
}
