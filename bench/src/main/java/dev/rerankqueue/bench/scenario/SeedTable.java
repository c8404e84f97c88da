package dev.rerankqueue.bench.scenario;

import dev.rerankqueue.bench.load.CpuMeter;
import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import dev.rerankqueue.bench.report.Charts;
import dev.rerankqueue.messaging.JobCodec;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code seed-table}: closed loop at several client counts, sync drop-in against the model server
 * directly.
 */
public final class SeedTable extends Harness {

    public SeedTable(Stack stack, int seconds, Path charts) {
        super(stack, seconds, charts);
    }

    /**
     * Closed loop at 10/30/50/100 clients: the model server directly, our sync endpoint, and async
     * submit + SSE.
     */
    public void run(int[] levels) throws Exception {
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

    /** Closed-loop runs so far: each one's workload is seeded apart. */
    private long runs;

    void warmupCells() throws Exception {
        for (String mode : List.of("sync", "async")) {
            closedLoop(30, mode, 15);
        }
    }

    /** {requests/s, p50 ms, p99 ms} of {@code clients} closed loops for the configured time. */
    double[] closedLoop(int clients, String mode) throws Exception {
        return closedLoop(clients, mode, seconds);
    }

    double[] closedLoop(int clients, String mode, int seconds) throws Exception {
        // every run its own requests: a cell that repeated the warm-up's requests (same clients and
        // mode) was answered from the worker's score cache
        Workload w =
                new Workload(
                        ++runs * 1_000_003L + clients * 31L + mode.hashCode(), DOCS, DOC_CHARS);
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
}
