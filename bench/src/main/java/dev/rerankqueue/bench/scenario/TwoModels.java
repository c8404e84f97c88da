package dev.rerankqueue.bench.scenario;

import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import dev.rerankqueue.messaging.JobCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code two-models}: two models behind one gateway, each with its own pool of workers and its own
 * emulated GPU (the first emulator serves the quiet model, the second the flooded one). The quiet
 * model's sync p99 at half its capacity and its GPU's throughput at 1.25 × its capacity (its
 * efficiency: pairs/s its GPU scored through the system over what it scores fed directly) are
 * measured alone, then while the other model is flooded with jobs at 3 × its own capacity. Reports
 * both phases and their ratios; the goals are p99 ≤ 1.1 × alone and efficiency ≥ 0.97.
 */
public class TwoModels extends Harness {

    private final String quiet;
    private final String flooded;
    private int phases;

    public TwoModels(Stack stack, String quiet, String flooded, int seconds, Path charts) {
        super(stack, seconds, charts);
        if (stack.emulators().size() != 2) {
            throw new IllegalArgumentException(
                    "two-models needs two emulators, the quiet model's first: --emulators A,B");
        }
        this.quiet = quiet;
        this.flooded = flooded;
    }

    /** One phase's figures of the quiet model. */
    private record Quiet(Recorder latency, double efficiency) {}

    public void run() throws Exception {
        say("== two-models: one model's p99 and efficiency alone and while another is flooded ==");
        String quietGpu = stack.emulators().get(0);
        double quietCapacity = measureCapacity(quietGpu, 8, 16);
        double floodedCapacity = measureCapacity(stack.emulators().get(1), 8, 16);
        say(
                "quiet model %s: %.0f pairs/s; flooded model %s: %.0f pairs/s (fed directly)",
                quiet, quietCapacity, flooded, floodedCapacity);
        // both models' paths warmed up (JIT, connections) before anything is recorded
        openLoop(quiet, 0.5 * quietCapacity / DOCS, true);
        openLoop(flooded, 0.5 * floodedCapacity / DOCS, false);
        Quiet alone = quietPhase(quietGpu, quietCapacity);
        say("  alone:        %s; efficiency %.3f", alone.latency().summary(), alone.efficiency());
        AtomicBoolean flooding = new AtomicBoolean(true);
        Map<String, Integer> floodAnswers = new ConcurrentHashMap<>();
        double floodRate = 3 * floodedCapacity / DOCS;
        CompletableFuture<Integer> flood =
                CompletableFuture.supplyAsync(() -> flood(floodRate, flooding, floodAnswers));
        Thread.sleep(5_000); // the flooded model's backlog builds up to its admission limit
        Quiet beside = quietPhase(quietGpu, quietCapacity);
        flooding.set(false);
        int floodSent = flood.join();
        say("  beside flood: %s; efficiency %.3f", beside.latency().summary(), beside.efficiency());
        say(
                "flood: %.1f jobs/s of %d documents to %s (3 x its capacity), %d sent, answers %s",
                floodRate, DOCS, flooded, floodSent, floodAnswers);
        double p99Alone = alone.latency().percentileMillis(99);
        double p99Beside = beside.latency().percentileMillis(99);
        double ratio = p99Beside / p99Alone;
        say(
                "quiet model p99 beside the flood / alone = %.0f / %.0f ms = %.2f (goal <= 1.1);"
                        + " efficiency beside the flood %.3f (goal >= 0.97)",
                p99Beside, p99Alone, ratio, beside.efficiency());
        figures.put("quiet_capacity_pairs_per_s", Math.round(quietCapacity));
        figures.put("flooded_capacity_pairs_per_s", Math.round(floodedCapacity));
        figures.put("quiet_p50_ms_alone", round3(alone.latency().percentileMillis(50)));
        figures.put("quiet_p99_ms_alone", round3(p99Alone));
        figures.put("quiet_p50_ms_beside_flood", round3(beside.latency().percentileMillis(50)));
        figures.put("quiet_p99_ms_beside_flood", round3(p99Beside));
        figures.put("quiet_p99_ratio", round3(ratio));
        figures.put("quiet_efficiency_alone", round3(alone.efficiency()));
        figures.put("quiet_efficiency_beside_flood", round3(beside.efficiency()));
        figures.put("flood_answers", floodAnswers);
        emit("two-models");
    }

    /**
     * The quiet model's p99 of sync calls at half its capacity, then its GPU's throughput at 1.25 ×
     * its capacity over the capacity fed directly.
     */
    private Quiet quietPhase(String gpu, double capacity) throws Exception {
        Recorder latency = openLoop(quiet, 0.5 * capacity / DOCS, true);
        Stack quietGpu = new Stack(null, List.of(gpu), List.of(), null);
        Stack.GpuCounters before = quietGpu.gpu(client);
        long start = System.nanoTime();
        openLoop(quiet, 1.25 * capacity / DOCS, false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        Stack.GpuCounters after = quietGpu.gpu(client);
        return new Quiet(latency, (after.pairs() - before.pairs()) / elapsed / capacity);
    }

    /**
     * Calls of {@code model} at {@code rate} a second for {@code seconds}, open loop, after 5 s of
     * warm-up: sync reranks, whose latency is recorded, or async jobs.
     */
    private Recorder openLoop(String model, double rate, boolean sync) {
        // each phase its own requests: a repeated one would be answered from the score cache
        Workload w = new Workload(7 + 1_000L * phases++, DOCS, DOC_CHARS);
        String path = sync ? "/v1/rerank" : "/v1/rerank/jobs";
        int ok = sync ? 200 : 202;
        OpenLoop run = openLoop(path, () -> json(w, model), ok, rate, 5);
        if (!run.failed().isEmpty()) {
            say("  %s calls of %s not answered %d: %s", path, model, ok, run.failed());
        }
        return run.latency();
    }

    /**
     * Jobs of the flooded model at {@code rate} a second until told to stop; how many were sent.
     */
    private int flood(double rate, AtomicBoolean flooding, Map<String, Integer> answers) {
        Workload w = new Workload(31, DOCS, DOC_CHARS);
        List<CompletableFuture<?>> sends = new ArrayList<>();
        long start = System.nanoTime();
        int sent = 0;
        for (long i = 0; flooding.get(); i++) {
            sleepUntil(start + (long) (i * 1e9 / rate));
            sends.add(
                    client.postJson(
                                    stack.gateway() + "/v1/rerank/jobs",
                                    json(w, flooded),
                                    Duration.ofSeconds(30))
                            .handle((r, e) -> answers.merge(answer(r, e), 1, Integer::sum)));
            sent++;
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
        return sent;
    }

    private static String json(Workload w, String model) {
        Map<String, Object> request = new LinkedHashMap<>(w.next());
        request.put("model", model);
        return JobCodec.toJson(request);
    }
}
