package dev.rerankqueue.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * {@code deadlines}: deadlines kept as a promise. Asynchronous jobs of {@link #DOCS} documents,
 * each with a {@code deadline_ms} drawn in turn from {@link #DEADLINES_MS}, offered open loop first
 * at {@link #STEADY} of the measured capacity, then at {@link #OVERLOAD} times it. For every
 * accepted job, once it ended: whether it finished after its deadline (the model time it took is
 * then wasted on a late result), whether it expired (none of it sent to the model), and the start
 * the gateway predicted on accepting it against the claim that really came. Goals: model time on
 * late results at most 1 % at 2 x overload; predicted start within 25 % of the actual one at steady
 * load.
 */
public final class Deadlines extends Harness {

    /** The deadlines given to the jobs, in turn. */
    static final long[] DEADLINES_MS = {1_000, 2_000, 5_000, 10_000};

    /** Offered load of each phase, as a multiple of the measured capacity. */
    static final double STEADY = 0.8;

    static final double OVERLOAD = 2.0;

    /** The most submissions waiting for their answer at once. */
    private static final int MAX_OUTSTANDING = 2_000;

    public Deadlines(Stack stack, int seconds, Path charts) {
        super(stack, seconds, charts);
    }

    public void run() throws Exception {
        say(
                "== deadlines: jobs with deadlines of %s ms, at %.1f x and %.1f x capacity ==",
                Arrays.toString(DEADLINES_MS), STEADY, OVERLOAD);
        double capacity =
                measureCapacity(stack.emulators().get(0), 8, 16) * stack.emulators().size();
        say("capacity: %.0f pairs/s", capacity);
        figures.put("capacity_pairs_per_s", round3(capacity));
        phase("warm-up", STEADY * capacity / DOCS, 10); // a fresh stack's JIT, not reported
        figures.put("steady", phase("steady", STEADY * capacity / DOCS));
        figures.put("overload", phase("overload", OVERLOAD * capacity / DOCS));
        emit("deadlines");
    }

    private Map<String, Object> phase(String name, double rate) throws Exception {
        return phase(name, rate, seconds);
    }

    /** One phase of {@code seconds} at {@code rate} jobs/s; its figures once every job ended. */
    private Map<String, Object> phase(String name, double rate, int seconds) throws Exception {
        say("-- %s: %.1f jobs/s of %d documents for %d s, open loop --", name, rate, DOCS, seconds);
        Workload w = new Workload(name.hashCode(), DOCS, DOC_CHARS);
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
        Semaphore outstanding = new Semaphore(MAX_OUTSTANDING);
        List<CompletableFuture<?>> sends = new ArrayList<>();
        long start = System.nanoTime();
        int total = (int) Math.round(rate * seconds);
        for (int i = 0; i < total; i++) {
            sleepUntil(start + (long) (i * 1e9 / rate));
            if (!outstanding.tryAcquire()) {
                answers.merge("not sent", 1, Integer::sum);
                continue;
            }
            String body =
                    "{\"deadline_ms\":"
                            + DEADLINES_MS[i % DEADLINES_MS.length]
                            + ","
                            + w.nextJson().substring(1);
            sends.add(
                    client.postJson(
                                    stack.gateway() + "/v1/rerank/jobs",
                                    body,
                                    Duration.ofSeconds(30))
                            .handle(
                                    (r, e) -> {
                                        outstanding.release();
                                        String kind =
                                                e != null
                                                        ? "no answer"
                                                        : r.statusCode() == 202
                                                                ? "202"
                                                                : r.statusCode()
                                                                        + " "
                                                                        + problemType(r.body());
                                        answers.merge(kind, 1, Integer::sum);
                                        if (r != null && r.statusCode() == 202) {
                                            accepted.add(readTree(r.body()).path("id").asText());
                                        }
                                        return null;
                                    }));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
        say("answers: %s", new TreeMap<>(answers));
        Outcomes o = new Outcomes();
        for (String id : accepted) {
            o.add(awaitTerminal(client, stack.gateway(), id, Duration.ofMinutes(10), 100));
        }
        Map<String, Object> f = o.figures();
        f.put("offered_jobs_per_s", round3(rate));
        f.put("answers", new TreeMap<>(answers));
        say("%s", f);
        return f;
    }

    /** What became of the accepted jobs of a phase. */
    private static final class Outcomes {
        final Map<String, Integer> statuses = new TreeMap<>();
        long pairs;
        long latePairs;
        int late;
        final Recorder waits = new Recorder();
        final Recorder claims = new Recorder();
        final Recorder forecasts = new Recorder();
        final Recorder errors = new Recorder();
        final Recorder claimErrors = new Recorder();
        int predicted;
        int within25;
        int claimWithin25;

        void add(JsonNode job) {
            String status = job.path("status").asText();
            statuses.merge(status, 1, Integer::sum);
            long created = epochMs(job, "created_at");
            long started = epochMs(job, "started_at");
            long deadline = epochMs(job, "deadline_at");
            if (status.equals("succeeded")) {
                long p = job.path("usage").path("pairs").asLong();
                pairs += p;
                if (epochMs(job, "finished_at") > deadline) {
                    late++;
                    latePairs += p;
                }
            }
            if (started > 0) {
                claims.recordNanos(TimeUnit.MILLISECONDS.toNanos(started - created));
            }
            long forecast = epochMs(job, "predicted_start_at");
            if (status.equals("succeeded") && forecast > 0) {
                // scoring began about its scorer time before it ended (the claim comes earlier:
                // a claimed job may still wait for its tenant's turn)
                long actual =
                        epochMs(job, "finished_at")
                                - job.path("timings").path("scoring_ms").asLong()
                                - created;
                long said = forecast - created;
                waits.recordNanos(TimeUnit.MILLISECONDS.toNanos(actual));
                forecasts.recordNanos(TimeUnit.MILLISECONDS.toNanos(said));
                double error = Math.abs(actual - said) / (double) Math.max(1, actual);
                errors.recordNanos((long) (error * 1e6)); // read back as the fraction itself
                predicted++;
                within25 += error <= 0.25 ? 1 : 0;
                // against the claim too: the start the job's view shows (started_at) and the one
                // the gateway learns its error from
                long claimed = started - created;
                double claimError = Math.abs(claimed - said) / (double) Math.max(1, claimed);
                claimErrors.recordNanos((long) (claimError * 1e6));
                claimWithin25 += claimError <= 0.25 ? 1 : 0;
            }
        }

        Map<String, Object> figures() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("statuses", statuses);
            f.put("scored_pairs", pairs);
            f.put("late_jobs", late);
            f.put("late_model_time_pct", round3(100.0 * latePairs / Math.max(1, pairs)));
            f.put("claim_wait_p50_ms", round3(claims.percentileMillis(50)));
            f.put("start_wait_p50_ms", round3(waits.percentileMillis(50)));
            f.put("start_wait_p99_ms", round3(waits.percentileMillis(99)));
            f.put("predicted_wait_p50_ms", round3(forecasts.percentileMillis(50)));
            f.put("predicted_wait_p99_ms", round3(forecasts.percentileMillis(99)));
            f.put("jobs_with_prediction", predicted);
            f.put("prediction_within_25pct", round3(100.0 * within25 / Math.max(1, predicted)));
            f.put("prediction_error_p50_pct", round3(errors.percentileMillis(50) * 100));
            f.put("prediction_error_p90_pct", round3(errors.percentileMillis(90) * 100));
            f.put(
                    "prediction_vs_claim_within_25pct",
                    round3(100.0 * claimWithin25 / Math.max(1, predicted)));
            f.put(
                    "prediction_vs_claim_error_p50_pct",
                    round3(claimErrors.percentileMillis(50) * 100));
            return f;
        }

        private static long epochMs(JsonNode job, String field) {
            String at = job.path(field).asText("");
            return at.isEmpty() ? 0 : Instant.parse(at).toEpochMilli();
        }
    }
}
