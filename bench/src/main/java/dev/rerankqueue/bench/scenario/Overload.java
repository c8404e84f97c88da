package dev.rerankqueue.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.load.CpuMeter;
import dev.rerankqueue.bench.load.LoadClient;
import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import dev.rerankqueue.messaging.JobCodec;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two scenarios about refusing what cannot be served, against a running stack.
 *
 * <ul>
 *   <li>{@code overload}: the gateway's accept ceiling (closed loop, many connections, each
 *       honouring Retry-After), then open-loop submissions at a multiple of it: how long every
 *       submission waits for its answer (202 or 503), the share refused, and the accept latency of
 *       the ones accepted.
 *   <li>{@code admission}: a burst against a slow (emulated) GPU and a short {@code
 *       rerank.admission.max-backlog}: how many jobs are accepted before the first refusal, how
 *       long the accepted ones really wait against the advertised limit (the overshoot), and
 *       whether a refused submission retried after its {@code Retry-After} is accepted.
 * </ul>
 */
public final class Overload {

    private static final String JOBS = "/v1/rerank/jobs";

    private final Stack stack;
    private final LoadClient client;
    private final Map<String, Object> figures = new LinkedHashMap<>();

    public Overload(Stack stack) {
        this.stack = stack;
        this.client = new LoadClient(stack.apiKey());
    }

    /**
     * One submission's answer: status (0 when none came), problem type, Retry-After, job id, and
     * how long it took.
     */
    record Answer(int status, String type, int retryAfter, String id, long nanos) {
        static Answer of(HttpResponse<String> r, Throwable e, long nanos) {
            if (e != null || r == null) {
                return new Answer(0, e == null ? "" : rootName(e), -1, null, nanos);
            }
            String body = r.body();
            String id =
                    r.statusCode() == 202
                            ? JobCodec.mapper()
                                    .convertValue(Harness.readTree(body).path("id"), String.class)
                            : null;
            return new Answer(
                    r.statusCode(),
                    r.statusCode() >= 400 ? Harness.problemType(body) : "",
                    r.headers().firstValue("Retry-After").map(Integer::parseInt).orElse(-1),
                    id,
                    nanos);
        }

        String kind() {
            return status == 0
                    ? "no answer (" + type + ")"
                    : status + (type.isEmpty() ? "" : " " + type);
        }
    }

    private CompletableFuture<Answer> submit(String body, Duration timeout) {
        long sent = System.nanoTime();
        return client.postJson(stack.gateway() + JOBS, body, timeout)
                .handle((r, e) -> Answer.of(r, e, System.nanoTime() - sent));
    }

    /**
     * Measures the accept ceiling for {@code ceilingSeconds} with {@code connections} clients
     * posting back to back, then offers {@code factor} times it, open loop, for {@code seconds}.
     */
    public void overload(
            int connections, int ceilingSeconds, double knownCeiling, double factor, int seconds)
            throws Exception {
        say("== overload: the accept ceiling, then %.1f x it offered open loop ==", factor);
        Workload w = new Workload(21, Harness.DOCS, Harness.DOC_CHARS);
        closedLoop(w, connections, 5); // warm-up of a fresh gateway (JIT), not recorded
        CpuMeter ceilingCpu = CpuMeter.ofRunDir().start();
        Map<String, Integer> ceilingKinds = closedLoop(w, connections, ceilingSeconds);
        double measured = ceilingKinds.getOrDefault("202", 0) / (double) ceilingSeconds;
        Map<String, Double> cpuAtCeiling = ceilingCpu.coresSinceStart();
        say(
                "accept ceiling: %.0f jobs/s (%d connections back to back, %d s; answers %s); CPU %s",
                measured,
                connections,
                ceilingSeconds,
                ceilingKinds,
                CpuMeter.describe(cpuAtCeiling));
        // a ceiling measured in another run (--ceiling) offers two configurations the same load
        double ceiling = knownCeiling > 0 ? knownCeiling : measured;
        if (knownCeiling > 0) {
            say(
                    "offering a multiple of the given ceiling, %.0f jobs/s, not of this run's",
                    knownCeiling);
        }

        double offered = factor * ceiling;
        int total = (int) Math.round(offered * seconds);
        long interval = (long) (1e9 / offered);
        say(
                "offering %.0f jobs/s for %d s (%d submissions), each with a 10 s client timeout",
                offered, seconds, total);
        List<CompletableFuture<Answer>> answers = new ArrayList<>(total);
        CpuMeter cpu = CpuMeter.ofRunDir().start();
        long start = System.nanoTime();
        long late = 0;
        for (int i = 0; i < total; i++) {
            long due = start + i * interval;
            Harness.sleepUntil(due);
            late = Math.max(late, System.nanoTime() - due);
            answers.add(submit(w.nextJson(), Duration.ofSeconds(10)));
        }
        double offeredFor = (System.nanoTime() - start) / 1e9;
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
        Map<String, Double> cores = cpu.coresSinceStart();
        Recorder all = new Recorder();
        Recorder accepted = new Recorder();
        Recorder refused = new Recorder();
        Map<String, Integer> kinds = new TreeMap<>();
        int withinOneSecond = 0;
        int refusedWithRetryAfter = 0;
        for (CompletableFuture<Answer> f : answers) {
            Answer a = f.join();
            kinds.merge(a.kind(), 1, Integer::sum);
            if (a.status() == 0) {
                continue;
            }
            all.recordNanos(a.nanos());
            withinOneSecond += a.nanos() <= TimeUnit.SECONDS.toNanos(1) ? 1 : 0;
            if (a.status() == 202) {
                accepted.recordNanos(a.nanos());
            } else {
                refused.recordNanos(a.nanos());
                refusedWithRetryAfter += a.retryAfter() >= 0 ? 1 : 0;
            }
        }
        say(
                "sent %d in %.1f s (%.0f/s; the sender fell behind its schedule by at most %.0f ms)",
                total, offeredFor, total / offeredFor, late / 1e6);
        say("answers: %s", kinds);
        say(
                "every answer: %s; within 1 s: %d of %d (%.2f %%)",
                all.summary(), withinOneSecond, total, 100.0 * withinOneSecond / total);
        say("202 accept latency: %s", accepted.summary());
        say(
                "refusals: %s; with Retry-After %d of %d",
                refused.summary(), refusedWithRetryAfter, refused.count());
        say("CPU while offered: %s", CpuMeter.describe(cores));
        figures.put("ceiling_jobs_per_s", Harness.round3(ceiling));
        figures.put("ceiling_measured_jobs_per_s", Harness.round3(measured));
        figures.put("offered_jobs_per_s", Harness.round3(total / offeredFor));
        figures.put("submissions", total);
        figures.put("answers", kinds);
        figures.put("refused_pct", Harness.round3(100.0 * refused.count() / total));
        figures.put("answered_within_1s_pct", Harness.round3(100.0 * withinOneSecond / total));
        figures.put("answer_p50_ms", Harness.round3(all.percentileMillis(50)));
        figures.put("answer_p99_ms", Harness.round3(all.percentileMillis(99)));
        figures.put("answer_max_ms", Harness.round3(all.percentileMillis(100)));
        figures.put("accept_p50_ms", Harness.round3(accepted.percentileMillis(50)));
        figures.put("accept_p99_ms", Harness.round3(accepted.percentileMillis(99)));
        figures.put("refusal_p99_ms", Harness.round3(refused.percentileMillis(99)));
        figures.put("cpu_cores_at_ceiling", cpuAtCeiling);
        figures.put("cpu_cores_while_offered", cores);
        emit("overload");
    }

    /**
     * {@code connections} clients submitting back to back for {@code seconds}; the answers tallied
     * by kind.
     */
    private Map<String, Integer> closedLoop(Workload w, int connections, int seconds) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Map<String, Integer> kinds = new ConcurrentHashMap<>();
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            loops.add(next(w, end, kinds));
        }
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
        return new TreeMap<>(kinds);
    }

    private CompletableFuture<Void> next(Workload w, long end, Map<String, Integer> kinds) {
        if (System.nanoTime() >= end) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(w.nextJson(), Duration.ofSeconds(30))
                .thenCompose(
                        a -> {
                            if (System.nanoTime() < end) {
                                kinds.merge(
                                        a.kind(),
                                        1,
                                        Integer::sum); // answers after the end are not counted
                            }
                            // a well-behaved client waits as told before it sends again
                            if (a.retryAfter() > 0) {
                                return CompletableFuture.runAsync(
                                                () -> {},
                                                CompletableFuture.delayedExecutor(
                                                        a.retryAfter(), TimeUnit.SECONDS))
                                        .thenCompose(x -> next(w, end, kinds));
                            }
                            return next(w, end, kinds);
                        });
    }

    /**
     * Offers {@code rate} jobs/s for {@code seconds} against a gateway whose {@code
     * rerank.admission.max-backlog} is {@code limitSeconds}; every refusal with a Retry-After is
     * retried once after it.
     */
    public void admission(double rate, int seconds, int limitSeconds) throws Exception {
        say(
                "== admission: %.0f jobs/s for %d s against a %d s backlog limit ==",
                rate, seconds, limitSeconds);
        Workload w = new Workload(31, Harness.DOCS, Harness.DOC_CHARS);
        int total = (int) Math.round(rate * seconds);
        long interval = (long) (1e9 / rate);
        ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
        AtomicInteger acceptedBeforeFirstRefusal = new AtomicInteger(-1);
        AtomicLong firstRefusalAt = new AtomicLong(-1);
        AtomicInteger acceptedSoFar = new AtomicInteger();
        Map<String, Integer> kinds = new ConcurrentHashMap<>();
        AtomicInteger retried = new AtomicInteger();
        AtomicInteger retriedAccepted = new AtomicInteger();
        Recorder retryAfter = new Recorder();
        List<CompletableFuture<?>> pending = Collections.synchronizedList(new ArrayList<>());
        ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor();
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            Harness.sleepUntil(start + i * interval);
            String body = w.nextJson();
            pending.add(
                    submit(body, Duration.ofSeconds(30))
                            .thenAccept(
                                    a -> {
                                        kinds.merge(a.kind(), 1, Integer::sum);
                                        if (a.status() == 202) {
                                            accepted.add(a.id());
                                            acceptedSoFar.incrementAndGet();
                                        } else if (a.status() == 503
                                                && firstRefusalAt.compareAndSet(
                                                        -1, System.nanoTime() - start)) {
                                            acceptedBeforeFirstRefusal.set(acceptedSoFar.get());
                                        }
                                        if (a.status() == 503 && a.retryAfter() > 0) {
                                            retryAfter.recordNanos(
                                                    TimeUnit.SECONDS.toNanos(a.retryAfter()));
                                            CompletableFuture<Void> again =
                                                    new CompletableFuture<>();
                                            pending.add(again);
                                            retries.schedule(
                                                    () ->
                                                            submit(body, Duration.ofSeconds(30))
                                                                    .thenAccept(
                                                                            b -> {
                                                                                retried
                                                                                        .incrementAndGet();
                                                                                if (b.status()
                                                                                        == 202) {
                                                                                    retriedAccepted
                                                                                            .incrementAndGet();
                                                                                    accepted.add(
                                                                                            b.id());
                                                                                }
                                                                                again.complete(
                                                                                        null);
                                                                            }),
                                                    a.retryAfter(),
                                                    TimeUnit.SECONDS);
                                        }
                                    }));
        }
        say(
                "offered %d in %.1f s; answers %s",
                total, (System.nanoTime() - start) / 1e9, new TreeMap<>(kinds));
        while (true) { // retries add futures while earlier ones complete
            List<CompletableFuture<?>> now;
            synchronized (pending) {
                now = new ArrayList<>(pending);
            }
            CompletableFuture.allOf(now.toArray(CompletableFuture[]::new)).join();
            synchronized (pending) {
                if (pending.size() == now.size()) {
                    break;
                }
            }
        }
        retries.shutdown();
        say(
                "first refusal %.1f s into the burst, after %d accepted; retried after Retry-After: %d, accepted then %d (%.1f %%); "
                        + "Retry-After p50 %.0f s, max %.0f s",
                firstRefusalAt.get() / 1e9,
                acceptedBeforeFirstRefusal.get(),
                retried.get(),
                retriedAccepted.get(),
                100.0 * retriedAccepted.get() / Math.max(1, retried.get()),
                retryAfter.percentileMillis(50) / 1000,
                retryAfter.percentileMillis(100) / 1000);
        long drainStart = System.nanoTime();
        Recorder queued = new Recorder();
        int over = 0;
        long drainedAt = 0;
        for (String id : accepted) {
            JsonNode job =
                    Harness.awaitTerminal(client, stack.gateway(), id, Duration.ofMinutes(20), 200);
            long waited = job.path("timings").path("queued_ms").asLong();
            queued.recordNanos(TimeUnit.MILLISECONDS.toNanos(waited));
            over += waited > limitSeconds * 1000L ? 1 : 0;
            drainedAt = System.nanoTime();
        }
        double drainRate = accepted.size() / ((drainedAt - start) / 1e9);
        say(
                "all %d accepted jobs finished %.1f s after the burst began (%.1f jobs/s); queue wait %s; over the %d s limit: %d (%.1f %%)",
                accepted.size(),
                (drainedAt - start) / 1e9,
                drainRate,
                queued.summary(),
                limitSeconds,
                over,
                100.0 * over / Math.max(1, accepted.size()));
        say("(waited for the drain %.0f s after the last answer)", (drainedAt - drainStart) / 1e9);
        figures.put("offered_jobs_per_s", rate);
        figures.put("limit_s", limitSeconds);
        figures.put("submissions", total);
        figures.put("answers", new TreeMap<>(kinds));
        figures.put("first_refusal_s", Harness.round3(firstRefusalAt.get() / 1e9));
        figures.put("accepted_before_first_refusal", acceptedBeforeFirstRefusal.get());
        figures.put("accepted", accepted.size());
        figures.put("drain_jobs_per_s", Harness.round3(drainRate));
        figures.put("queue_wait_p50_s", Harness.round3(queued.percentileMillis(50) / 1000));
        figures.put("queue_wait_p99_s", Harness.round3(queued.percentileMillis(99) / 1000));
        figures.put("queue_wait_max_s", Harness.round3(queued.percentileMillis(100) / 1000));
        figures.put("accepted_over_limit", over);
        figures.put("retried_after_retry_after", retried.get());
        figures.put(
                "retried_accepted_pct",
                Harness.round3(100.0 * retriedAccepted.get() / Math.max(1, retried.get())));
        emit("admission");
    }

    private static String rootName(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName();
    }

    private void emit(String scenario) {
        figures.put("scenario", scenario);
        System.out.println(JobCodec.toJson(figures));
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
    }
}
