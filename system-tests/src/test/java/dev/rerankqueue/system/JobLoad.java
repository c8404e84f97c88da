package dev.rerankqueue.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.testing.KafkaBroker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Jobs with a known right answer ("What is the capital of X?" among distractors, shuffled),
 * submitted through the gateway's HTTP API, then checked: every accepted job must end succeeded
 * with its capital ranked first.
 */
final class JobLoad {

    private static final String[][] FACTS = {
        {"France", "Paris"},
        {"Japan", "Tokyo"},
        {"Italy", "Rome"},
        {"Kenya", "Nairobi"},
        {"Canada", "Ottawa"},
        {"Egypt", "Cairo"},
        {"Peru", "Lima"},
        {"Norway", "Oslo"},
        {"Spain", "Madrid"},
        {"Chile", "Santiago"}
    };
    private static final List<String> DISTRACTORS =
            List.of(
                    "Bananas are yellow.",
                    "Gravity pulls objects together.",
                    "Rivers flow to the sea.");

    /** Documents of every job: the distractors and the one right answer. */
    static final int DOCUMENTS_PER_JOB = DISTRACTORS.size() + 1;

    /** What one checked run found. */
    record Outcome(
            int accepted,
            int rejected,
            int succeeded,
            int lost,
            int wrong,
            int rescored,
            List<String> problems,
            List<long[]> timings,
            long firstCreatedMs,
            long lastFinishedMs,
            Map<String, Integer> refusedBy,
            Map<String, String> firstDetailBy,
            List<String> refusedQueries) {

        /**
         * Refusals whose answer is not a 503 or a 429 (a 500, a 401, a timeout, a reset
         * connection): each is a bug.
         */
        List<String> unexpectedRefusals() {
            return refusedBy.keySet().stream()
                    .filter(k -> !k.startsWith("503 ") && !k.startsWith("429 "))
                    .toList();
        }

        /**
         * Succeeded jobs per second from the first acceptance to the last result: the drain rate of
         * this load.
         */
        double jobsPerSecond() {
            return lastFinishedMs > firstCreatedMs
                    ? succeeded * 1000.0 / (lastFinishedMs - firstCreatedMs)
                    : 0;
        }

        /**
         * The {@code q} quantile (0..1) of acceptance-to-result time over the succeeded jobs, in
         * ms.
         */
        long totalMillisAt(double q) {
            return totalMillisAt(q, 0, 1);
        }

        /**
         * As {@link #totalMillisAt(double)}, over the jobs accepted in the part {@code
         * from}..{@code to} (0..1) of the time between the first and the last acceptance: compare
         * the first and last third to see latency drift.
         */
        long totalMillisAt(double q, double from, double to) {
            long first = timings.stream().mapToLong(t -> t[0]).min().orElse(0);
            long last = timings.stream().mapToLong(t -> t[0]).max().orElse(0);
            double span = Math.max(1, last - first);
            List<Long> sorted =
                    timings.stream()
                            .filter(
                                    t ->
                                            (t[0] - first) / span >= from
                                                    && (t[0] - first) / span <= to)
                            .map(t -> t[1])
                            .sorted()
                            .toList();
            return sorted.isEmpty()
                    ? 0
                    : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
        }
    }

    private final String base;
    private final String apiKey;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Integer> expectedTop = new ConcurrentHashMap<>();
    private final AtomicInteger rejected = new AtomicInteger();

    /** Refusals by answer: status and problem type, or the exception. */
    private final Map<String, Integer> refusedBy = new ConcurrentHashMap<>();

    /** The detail of the first refusal of each kind in {@link #refusedBy}: what it said. */
    private final Map<String, String> firstDetailBy = new ConcurrentHashMap<>();

    /** Queries of refused submissions: none of them may ever become a job. */
    private final List<String> refusedQueries = Collections.synchronizedList(new ArrayList<>());

    /**
     * Numbers every job's query, across all loads of the run, so that a query names one submission
     * only.
     */
    private static final AtomicInteger serial = new AtomicInteger();

    private final Semaphore inFlight = new Semaphore(32);
    private final List<CompletableFuture<Void>> pending =
            Collections.synchronizedList(new ArrayList<>());
    private final Random random = new Random(42);

    JobLoad(String base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + apiKey);
    }

    /** Submits one job without waiting for the answer; at most 32 submits are in flight. */
    void submitAsync() throws InterruptedException {
        String[] fact;
        List<String> docs = new ArrayList<>(DISTRACTORS);
        synchronized (random) {
            fact = FACTS[random.nextInt(FACTS.length)];
            docs.add("The capital of " + fact[0] + " is " + fact[1] + ".");
            Collections.shuffle(docs, random);
        }
        int top = docs.indexOf("The capital of " + fact[0] + " is " + fact[1] + ".");
        // a distinct query per job: the load measures scoring, not the workers' score cache
        String query =
                "What is the capital of " + fact[0] + "? (job " + serial.incrementAndGet() + ")";
        String body = JobCodec.toJson(Map.of("query", query, "documents", docs));
        inFlight.acquire();
        pending.add(
                http.sendAsync(
                                request("/v1/rerank/jobs")
                                        .header("content-type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString(body))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .handle(
                                (r, e) -> {
                                    inFlight.release();
                                    if (e == null && r.statusCode() == 202) {
                                        expectedTop.put(
                                                JobCodec.fromJson(r.body(), Map.class)
                                                        .get("id")
                                                        .toString(),
                                                top);
                                    } else {
                                        rejected.incrementAndGet();
                                        if (e == null) {
                                            // refused; one never answered may have been taken
                                            refusedQueries.add(query);
                                        }
                                        String kind =
                                                e != null
                                                        ? "exception "
                                                                + e.getClass().getSimpleName()
                                                        : r.statusCode()
                                                                + " "
                                                                + problemType(r.body());
                                        refusedBy.merge(kind, 1, Integer::sum);
                                        firstDetailBy.computeIfAbsent(
                                                kind,
                                                k ->
                                                        e != null
                                                                ? String.valueOf(e.getMessage())
                                                                : problemDetail(r.body()));
                                    }
                                    return null;
                                }));
    }

    private static String problemDetail(String body) {
        try {
            return JobCodec.mapper().readTree(body).path("detail").asText("(no detail)");
        } catch (Exception e) {
            return "(not JSON)";
        }
    }

    private static String problemType(String body) {
        try {
            return JobCodec.mapper().readTree(body).path("type").asText("(no problem type)");
        } catch (Exception e) {
            return "(not JSON)";
        }
    }

    void submit(int n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            submitAsync();
        }
    }

    /** Submits steadily, one job every {@code every}, for {@code duration}. */
    void submitFor(Duration duration, Duration every) throws InterruptedException {
        submitSteadily(duration, every, () -> false);
    }

    /**
     * Submits steadily, one job every {@code every}, until one more job than now is accepted (a
     * submission sent earlier counts too), for at most {@code timeout}: how long acceptance took to
     * resume.
     */
    Duration submitUntilAccepted(Duration timeout, Duration every) throws InterruptedException {
        int before = expectedTop.size();
        return submitSteadily(timeout, every, () -> expectedTop.size() > before);
    }

    /**
     * One job every {@code every} until {@code done} or {@code limit} has passed; the time it took.
     */
    private Duration submitSteadily(Duration limit, Duration every, BooleanSupplier done)
            throws InterruptedException {
        long start = System.nanoTime();
        while (!done.getAsBoolean() && System.nanoTime() - start < limit.toNanos()) {
            submitAsync();
            Thread.sleep(every.toMillis());
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Waits until every submission so far has its answer (at most 2 minutes). */
    void awaitAnswers() throws Exception {
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                .get(120, TimeUnit.SECONDS);
    }

    /** Jobs accepted so far (answers still in flight not counted). */
    int acceptedSoFar() {
        return expectedTop.size();
    }

    List<String> acceptedIds() {
        return new ArrayList<>(expectedTop.keySet());
    }

    /**
     * Waits for every submit to be answered, then for every accepted job to end; counts what went
     * wrong.
     */
    Outcome check(Duration timeout) throws Exception {
        awaitAnswers();
        Map<String, Integer> open = new ConcurrentHashMap<>(expectedTop);
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        int succeeded = 0;
        int wrong = 0;
        int rescored = 0;
        List<long[]> totals = new ArrayList<>();
        long firstCreated = Long.MAX_VALUE;
        long lastFinished = 0;
        long end = System.nanoTime() + timeout.toNanos();
        while (!open.isEmpty() && System.nanoTime() < end) {
            for (String id : new ArrayList<>(open.keySet())) {
                HttpResponse<String> r;
                try {
                    r =
                            http.send(
                                    request("/v1/rerank/jobs/" + id).GET().build(),
                                    HttpResponse.BodyHandlers.ofString());
                } catch (IOException e) {
                    continue;
                }
                if (r.statusCode() != 200) {
                    continue;
                }
                JsonNode job = JobCodec.mapper().readTree(r.body());
                String status = job.get("status").asText();
                if (status.equals("queued") || status.equals("running")) {
                    continue;
                }
                int top = open.remove(id);
                if (job.path("attempts").asInt() > 1) {
                    rescored++;
                }
                if (status.equals("succeeded")
                        && job.get("results").get(0).get("index").asInt() == top) {
                    succeeded++;
                    long created = Instant.parse(job.get("created_at").asText()).toEpochMilli();
                    totals.add(new long[] {created, job.path("timings").path("total_ms").asLong()});
                    firstCreated = Math.min(firstCreated, created);
                    lastFinished =
                            Math.max(
                                    lastFinished,
                                    Instant.parse(job.get("finished_at").asText()).toEpochMilli());
                } else {
                    wrong++;
                    problems.add(
                            id
                                    + " ended "
                                    + status
                                    + (job.has("error")
                                            ? " (" + job.get("error").asText() + ")"
                                            : ""));
                }
            }
            if (!open.isEmpty()) {
                Thread.sleep(250);
            }
        }
        open.keySet().forEach(id -> problems.add(id + " never finished"));
        return new Outcome(
                expectedTop.size(),
                rejected.get(),
                succeeded,
                open.size(),
                wrong,
                rescored,
                problems,
                totals,
                firstCreated,
                lastFinished,
                Map.copyOf(refusedBy),
                Map.copyOf(firstDetailBy),
                List.copyOf(refusedQueries));
    }

    /**
     * What {@link #refusedThatRan} found: refused submissions on the jobs topics, and any that ran.
     */
    record RefusedOnTopic(int delivered, List<String> ran) {}

    /**
     * A submission answered 503 or 429 was not accepted, so it must never be scored. Its record may
     * still reach the jobs topic (a send queued in the producer while the broker was away goes out
     * later); if it does, the job must be there as never run: cancelled, without a result, never
     * claimed by a worker. Reads both jobs topics from {@code bootstrapServers} and asks the
     * gateway for each refused submission found there.
     */
    RefusedOnTopic refusedThatRan(String bootstrapServers, Outcome o) throws Exception {
        if (o.refusedQueries().isEmpty()) {
            return new RefusedOnTopic(0, List.of());
        }
        Set<String> refused = new HashSet<>(o.refusedQueries());
        Set<String> delivered = new LinkedHashSet<>();
        for (String topic : Topics.JOB_TOPICS) {
            for (ConsumerRecord<String, byte[]> r : KafkaBroker.readAll(bootstrapServers, topic)) {
                try {
                    if (refused.contains(JobCodec.decodeJob(r.value()).request().query())) {
                        delivered.add(r.key()); // a producer retry may have written it twice
                    }
                } catch (RuntimeException poison) {
                    // the poison scenario's records
                }
            }
        }
        List<String> ran = new ArrayList<>();
        for (String id : delivered) {
            // the state is written before the 503; a worker that got the record skips it (and logs
            // it to the results topic)
            HttpResponse<String> r =
                    http.send(
                            HttpRequest.newBuilder(URI.create(base + "/v1/rerank/jobs/" + id))
                                    .header("Authorization", "Bearer " + apiKey)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            JsonNode job = r.statusCode() == 200 ? JobCodec.mapper().readTree(r.body()) : null;
            if (job == null
                    || !"cancelled".equals(job.path("status").asText())
                    || job.path("results").size() > 0
                    || job.path("attempts").asInt() > 0) {
                ran.add(id + " " + r.statusCode() + " " + r.body());
            }
        }
        return new RefusedOnTopic(delivered.size(), ran);
    }
}
