package dev.rerankqueue.system;

import static dev.rerankqueue.testing.JobBuilder.aQueuedJob;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rerankqueue.bench.emulator.EmulatorSettings;
import dev.rerankqueue.bench.emulator.Faults;
import dev.rerankqueue.bench.emulator.VllmEmulator;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.testing.KafkaBroker;
import dev.rerankqueue.testing.RedisServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fault suite: the packaged gateway and two workers as separate processes, a Kafka broker
 * process and a redis-server, under load, while parts fail. Each scenario ends by checking that
 * every accepted job reached the right terminal state; the counts go to target/faults-report.md.
 * Runnable alone: {@code ./mvnw -B verify -pl system-tests -am -Dit.test=FaultsIT}; each scenario
 * also alone ({@code -Dit.test='FaultsIT#brokerRestartedUnderLoad'}): it starts from a whole
 * system, waits on conditions rather than time, and leaves the system whole.
 */
@TestMethodOrder(MethodOrderer.MethodName.class) // a stable report; no scenario needs another
class FaultsIT {

    static final String ACME = "acme-key";
    static final String GLOBEX = "globex-key";

    /** Partitions of each jobs topic: 2 workers x 2 consumers, with room for rebalances. */
    static final int JOB_PARTITIONS = 6;

    /** Kills of {@link #workerKilledMidBatchManyTimesInARow()}. */
    static final int KILLS = Integer.getInteger("faults.kills", 3);

    /** Requests of {@link #tenThousandBadRequestsGetNo5xxAndOnlyProblems()}. */
    static final int FUZZED = Integer.getInteger("faults.fuzz", 4_000);

    static KafkaProcess kafka;
    static RedisServerProcess redis;
    static AppProcess gateway;
    static final List<AppProcess> workers = new ArrayList<>();
    static Map<String, String> infra;
    static final List<String> report = new ArrayList<>();
    static final List<String> notes = new ArrayList<>();

    @BeforeAll
    static void startSystem() throws Exception {
        kafka = new KafkaProcess(AppProcess.logs()).start();
        kafka.createTopics(JOB_PARTITIONS);
        redis = new RedisServerProcess().start();
        infra =
                Map.of(
                        "kafka.bootstrap.servers",
                        kafka.bootstrapServers(),
                        "quarkus.redis.hosts",
                        redis.url());
        gateway =
                AppProcess.start(
                        "faults-gateway",
                        "gateway.jar",
                        RedisServerProcess.FreePort.find(),
                        infra,
                        Map.of("RERANK_API_KEYS", "acme:" + ACME + ",globex:" + GLOBEX));
        startWorkers("faults-worker", Map.of());
        gateway.awaitReady(Duration.ofSeconds(90));
        report.add(
                "| scenario | accepted | not accepted (by answer) | succeeded | lost | wrong | scored twice | seconds |");
        report.add("| --- | --- | --- | --- | --- | --- | --- | --- |");
    }

    /** Every scenario starts from the whole system: both default workers and the gateway ready. */
    @BeforeEach
    void systemIsWhole() throws Exception {
        for (AppProcess w : workers) {
            w.awaitReady(Duration.ofSeconds(90));
        }
        gateway.awaitReady(Duration.ofSeconds(90));
    }

    /**
     * Keeps a fault in place for {@code duration}: how long it lasts is the scenario, not a wait.
     */
    private static void keepFaultFor(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }

    /**
     * Until {@code worker} has a scorer call in flight, submitting 10 more jobs every 2 s while it
     * has none: right after a restart the group may have given every partition the jobs went to to
     * the other worker.
     */
    private static void awaitScoring(AppProcess worker, JobLoad load) {
        awaitScoring(worker, load, 0);
    }

    /**
     * As {@link #awaitScoring(AppProcess, JobLoad)}, once {@code worker} has also had {@code
     * callsEnded} scorer calls end: it is between the calls of a batch.
     */
    private static void awaitScoring(AppProcess worker, JobLoad load, int callsEnded) {
        double before = worker.metric("rerank_batch_pairs_count");
        long[] lastSubmit = {System.nanoTime()};
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () -> {
                            if (worker.metric("rerank_scorer_in_flight") > 0
                                    && worker.metric("rerank_batch_pairs_count")
                                            >= before + callsEnded) {
                                return true;
                            }
                            if (System.nanoTime() - lastSubmit[0] > 2_000_000_000L) {
                                load.submit(10);
                                lastSubmit[0] = System.nanoTime();
                            }
                            return false;
                        });
    }

    /**
     * Until the consumer group is settled: every partition of every jobs topic assigned, each
     * worker holding some. A worker stopped during a rebalance may lose the commit of the batch it
     * was scoring (its partitions were already revoked), so "stops gracefully" is tested outside
     * one.
     */
    private static void awaitGroupSettled() {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(
                        () -> {
                            double total = 0;
                            for (AppProcess w : workers) {
                                double held =
                                        w.metric("kafka_consumer_coordinator_assigned_partitions");
                                if (held == 0) {
                                    return false;
                                }
                                total += held;
                            }
                            return total == Topics.JOB_TOPICS.size() * JOB_PARTITIONS;
                        });
    }

    /** Until any worker has a scorer call in flight. */
    private static void awaitAnyScoring() {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () ->
                                workers.stream()
                                        .anyMatch(w -> w.metric("rerank_scorer_in_flight") > 0));
    }

    /** Until the workers together have finished {@code more} jobs beyond what they had. */
    private static void awaitFinishedJobs(int more) {
        double before = finishedJobs();
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> finishedJobs() >= before + more);
    }

    private static double finishedJobs() {
        return workers.stream().mapToDouble(w -> w.metric("rerank_jobs_finished_total")).sum();
    }

    @AfterAll
    static void stopSystem() throws Exception {
        Path out = AppProcess.logs().resolve("../faults-report.md").normalize();
        List<String> all = new ArrayList<>(report);
        for (String note : notes) {
            all.add("");
            all.add(note);
        }
        Files.writeString(out, String.join("\n", all) + "\n");
        System.out.println(String.join("\n", all));
        for (AppProcess w : workers) {
            w.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /**
     * Two workers (stopping any running ones first), with {@code extra} settings on top of the
     * suite's.
     */
    static void startWorkers(String name, Map<String, String> extra) throws Exception {
        for (AppProcess w : workers) {
            w.close();
        }
        workers.clear();
        for (int i = 1; i <= 2; i++) {
            Map<String, String> props = new HashMap<>(infra);
            props.put("rerank.worker.id", name + "-" + i);
            props.put("rerank.worker.results.restore-check", "1s");
            for (String channel : new String[] {"jobs", "jobs-batch"}) {
                props.put("mp.messaging.incoming." + channel + ".session.timeout.ms", "6000");
                props.put("mp.messaging.incoming." + channel + ".heartbeat.interval.ms", "2000");
            }
            props.putAll(extra);
            workers.add(
                    AppProcess.start(
                            name + "-" + i,
                            "worker.jar",
                            RedisServerProcess.FreePort.find(),
                            props));
        }
        for (AppProcess w : workers) {
            w.awaitReady(Duration.ofSeconds(90));
        }
    }

    private static JobLoad load() {
        return new JobLoad(gateway.baseUrl(), ACME);
    }

    private static void record(String scenario, JobLoad.Outcome o, long startNanos)
            throws Exception {
        record(scenario, o, startNanos, false);
    }

    /**
     * As {@link #record(String, JobLoad.Outcome, long)}; with {@code unansweredExpected}, a
     * submission that got no answer (the gateway was killed) is no fault: its client cannot know
     * whether it was taken.
     */
    private static void record(
            String scenario, JobLoad.Outcome o, long startNanos, boolean unansweredExpected)
            throws Exception {
        String refused =
                o.rejected() == 0
                        ? "0"
                        : o.rejected()
                                + " ("
                                + new TreeMap<>(o.refusedBy())
                                        .entrySet().stream()
                                                .map(e -> e.getValue() + " × " + e.getKey())
                                                .collect(Collectors.joining(", "))
                                + ")";
        report.add(
                "| "
                        + scenario
                        + " | "
                        + o.accepted()
                        + " | "
                        + refused
                        + " | "
                        + o.succeeded()
                        + " | "
                        + o.lost()
                        + " | "
                        + o.wrong()
                        + " | "
                        + o.rescored()
                        + " | "
                        + (System.nanoTime() - startNanos) / 1_000_000_000
                        + " |");
        new TreeMap<>(o.firstDetailBy())
                .forEach(
                        (kind, detail) ->
                                notes.add(scenario + ": the first " + kind + " said: " + detail));
        assertTrue(
                o.accepted() > 0,
                scenario
                        + ": nothing was accepted, so nothing was tested; refused: "
                        + o.firstDetailBy());
        assertTrue(
                o.unexpectedRefusals().stream()
                        .allMatch(k -> unansweredExpected && k.startsWith("exception ")),
                scenario + ": refusals other than 503 or 429: " + o.refusedBy());
        assertTrue(
                o.problems().isEmpty(),
                scenario + ": " + o.problems().subList(0, Math.min(10, o.problems().size())));
        assertEquals(o.accepted(), o.succeeded(), scenario + ": every accepted job succeeds");
        assertNoRefusedJobRan(scenario, o);
        assertNothingLeftWaiting(scenario);
    }

    /**
     * Once a scenario's jobs are all done, the workers' group has committed every record: the
     * gateway counts no job as waiting. A commit that failed in a rebalance or a broker restart and
     * was never made good would leave scored jobs counted as waiting, and the gateway would refuse
     * new ones on that backlog.
     */
    private static void assertNothingLeftWaiting(String scenario) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(
                        () ->
                                assertEquals(
                                        0.0,
                                        gateway.metric("rerank_backlog_jobs"),
                                        scenario
                                                + ": jobs the gateway counts as waiting (uncommitted) after all were"
                                                + " done"));
    }

    /**
     * A submission answered 503 or 429 was not accepted, so it must never be scored ({@link
     * JobLoad#refusedThatRan}).
     */
    private static void assertNoRefusedJobRan(String scenario, JobLoad.Outcome o) throws Exception {
        JobLoad.RefusedOnTopic found = load().refusedThatRan(kafka.bootstrapServers(), o);
        if (found.delivered() > 0) {
            notes.add(
                    scenario
                            + ": "
                            + found.delivered()
                            + " of the "
                            + o.refusedQueries().size()
                            + " submissions answered 503/429 still reached the "
                            + "jobs topic after the answer; each was found cancelled and unscored, as the gateway marks it before answering.");
        }
        assertTrue(
                found.ran().isEmpty(),
                scenario
                        + ": submissions answered 503/429 were scored anyway: "
                        + found.ran().subList(0, Math.min(5, found.ran().size())));
    }

    /** Ten submits a second for {@code duration}, in the background. */
    private static CompletableFuture<Void> background(JobLoad load, Duration duration) {
        return CompletableFuture.runAsync(
                () -> {
                    try {
                        load.submitFor(duration, Duration.ofMillis(100));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
    }

    /**
     * Each worker in front of one emulated GPU, killed (SIGKILL) {@code -Dfaults.kills} times (3 by
     * default; 10 for the figures in docs/reliability.md), alternately, in the middle of a batch:
     * after a scorer call of the batch ended, while the next is on the GPU. Besides losing nothing,
     * the model work stays near once per pair. The emulator counts the pairs that entered a forward
     * pass and those whose scores reached a worker still alive; the pairs of the calls in flight at
     * a kill are lost with it, but what a killed worker had been given is reused by the worker that
     * takes its jobs over ({@code rerank.worker.checkpoints}), so the model pairs stay near the
     * accepted jobs' pairs. Calls of 16 pairs make each batch span several calls, as a batch under
     * production load does. {@code -Dfaults.checkpoints=false} runs it with the checkpoints off,
     * for comparison.
     */
    @Test
    void workerKilledMidBatchManyTimesInARow() throws Exception {
        try (VllmEmulator gpu = VllmEmulator.start(EmulatorSettings.defaults(0))) {
            gpu.keepPairLedger();
            startWorkers(
                    "faults-gpu-worker",
                    Map.of(
                            "rerank.worker.scorer.type",
                            "vllm",
                            "rerank.worker.scorer.vllm.url",
                            "http://127.0.0.1:" + gpu.port(),
                            "rerank.worker.batch.max-pairs",
                            "16",
                            "rerank.worker.checkpoints.enabled",
                            System.getProperty("faults.checkpoints", "true"),
                            // 0s: a job running on a live worker is taken over at once (as before)
                            "rerank.worker.take-over-wait",
                            System.getProperty("faults.take-over-wait", "10s")));
            long start = System.nanoTime();
            JobLoad load = load();
            List<Long> kills = new ArrayList<>();
            for (int round = 0; round < KILLS; round++) {
                AppProcess victim = workers.get(round % 2);
                load.submit(30);
                awaitScoring(victim, load, 1);
                kills.add(System.currentTimeMillis());
                victim.kill();
                victim.restart();
                victim.awaitReady(Duration.ofSeconds(90));
            }
            JobLoad.Outcome outcome = load.check(Duration.ofMinutes(4));
            JsonNode stats = gpu.stats();
            long pairs = (long) outcome.accepted() * JobLoad.DOCUMENTS_PER_JOB;
            long scored = stats.get("pairs").asLong();
            long delivered = stats.get("delivered_pairs").asLong();
            double ratio = delivered / (double) pairs;
            notes.add(
                    String.format(
                            Locale.ROOT,
                            "kill -9 ×%d (score checkpoints %s): the model scored %d pairs for the"
                                    + " %d pairs of the accepted jobs (%.3f per pair); %d of them"
                                    + " were for a caller gone by the time they were answered, %d"
                                    + " were answered: %.3f answered pairs per accepted pair.",
                            KILLS,
                            System.getProperty("faults.checkpoints", "true").equals("true")
                                    ? "on"
                                    : "off",
                            scored,
                            pairs,
                            scored / (double) pairs,
                            scored - delivered,
                            delivered,
                            ratio));
            notes.add(scoredAgain(gpu.pairsScoredAgain(), kills));
            record("kill -9 a worker mid-batch, " + KILLS + " times", outcome, start);
            // a guard against whole batches scored again: far above what checkpoints leave
            // (docs/reliability.md has the figures)
            assertTrue(
                    scored / (double) pairs <= 1.25,
                    "model pairs per accepted pair: " + scored / (double) pairs);
        } finally {
            startWorkers("faults-worker", Map.of()); // the suite's own workers again
        }
    }

    /**
     * Where the pairs scored more than once come from, from when their first forward pass ended
     * against the kills ({@code kills}, epoch ms): before a kill (the killed worker had been
     * answered but had not yet checkpointed the scores), in a pass that ended just after one (in
     * flight at the kill), or neither (work redone that no kill explains).
     */
    private static String scoredAgain(List<List<Long>> passEnds, List<Long> kills) {
        List<Long> before = new ArrayList<>();
        int inFlight = 0;
        int neither = 0;
        for (List<Long> ends : passEnds) {
            long first = ends.get(0);
            long next = kills.stream().filter(k -> k >= first).min(Long::compare).orElse(-1L);
            long last = kills.stream().filter(k -> k < first).max(Long::compare).orElse(-1L);
            if (next >= 0 && next - first <= 5_000) {
                before.add(next - first);
            } else if (last >= 0 && first - last <= 1_000) {
                inFlight++;
            } else {
                neither++;
            }
        }
        Collections.sort(before);
        return String.format(
                Locale.ROOT,
                "pairs the model scored more than once: %d; %d of them first came out of a forward"
                        + " pass before a kill, the killed worker answered but its scores not yet"
                        + " checkpointed (%s before the kill), %d were in a pass when the worker was"
                        + " killed, %d neither",
                passEnds.size(),
                before.size(),
                before.isEmpty()
                        ? "-"
                        : "median "
                                + before.get(before.size() / 2)
                                + " ms, at most "
                                + before.get(before.size() - 1)
                                + " ms",
                inFlight,
                neither);
    }

    /**
     * A worker frozen (SIGSTOP) in the middle of a batch for longer than its group session: its
     * partitions and its jobs go to the other worker, which takes them over. Resumed, the frozen
     * worker finishes scoring what it held, but as a zombie: its results lose the compare-and-set
     * to the take-over, so each job still has exactly one result, in Redis and on the results
     * topic.
     */
    @Test
    void workerPausedPastItsSessionThenResumed() throws Exception {
        long start = System.nanoTime();
        JobLoad load = load();
        load.submit(30);
        AppProcess zombie = workers.get(0);
        awaitScoring(zombie, load);
        zombie.signal("STOP");
        try {
            keepFaultFor(Duration.ofSeconds(15)); // past session.timeout.ms (10 s)
            load.submit(20);
        } finally {
            zombie.signal("CONT");
        }
        JobLoad.Outcome outcome = load.check(Duration.ofMinutes(4));
        record("a worker frozen (SIGSTOP) mid-batch for 15 s, then resumed", outcome, start);
        Set<String> accepted = new HashSet<>(load.acceptedIds());
        Map<String, Set<JobState>> results = new HashMap<>();
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> {
                            results.clear();
                            results.putAll(statesOnResultsTopic());
                            return results.keySet().containsAll(accepted);
                        });
        // a worker that meets a job already finished appends its state again (the same state)
        List<String> twice =
                results.entrySet().stream()
                        .filter(e -> accepted.contains(e.getKey()) && e.getValue().size() > 1)
                        .map(e -> e.getKey() + " " + e.getValue())
                        .toList();
        assertTrue(twice.isEmpty(), "jobs with two different results: " + twice);
    }

    @Test
    void workerStoppedGracefullyUnderLoadFinishesItsWorkFirst() throws Exception {
        long start = System.nanoTime();
        JobLoad load = load();
        CompletableFuture<Void> traffic = background(load, Duration.ofSeconds(20));
        for (int round = 0; round < 2; round++) {
            AppProcess leaving = workers.get(round % 2);
            awaitGroupSettled();
            // it has partitions and work in hand (after a restart the 20 s of traffic may be over)
            awaitScoring(leaving, load);
            leaving.close(); // SIGTERM, as Kubernetes or down.sh stop a worker
            leaving.restart();
            leaving.awaitReady(Duration.ofSeconds(90));
        }
        traffic.get(2, TimeUnit.MINUTES);
        JobLoad.Outcome outcome = load.check(Duration.ofMinutes(4));
        record("SIGTERM a worker under load (10 submits/s), twice", outcome, start);
        assertEquals(
                0,
                outcome.rescored(),
                "a worker that stops gracefully finishes and commits its batch: nothing is scored twice");
    }

    /** Something the system goes through while jobs come in. */
    private interface Fault {
        void happen() throws Exception;
    }

    /**
     * Ten submits a second for {@code traffic}; once scoring is under way, {@code fault}; then
     * every job checked and the scenario recorded (see {@link #record(String, JobLoad.Outcome,
     * long, boolean)} for {@code unansweredExpected}).
     */
    private static void underLoad(
            String scenario, Duration traffic, boolean unansweredExpected, Fault fault)
            throws Exception {
        long start = System.nanoTime();
        JobLoad load = load();
        CompletableFuture<Void> submitting = background(load, traffic);
        awaitAnyScoring();
        fault.happen();
        submitting.get(2, TimeUnit.MINUTES);
        record(scenario, load.check(Duration.ofMinutes(4)), start, unansweredExpected);
    }

    @Test
    void brokerRestartedUnderLoad() throws Exception {
        underLoad(
                "Kafka broker restarted under load",
                Duration.ofSeconds(20),
                false,
                () -> {
                    kafka.stop();
                    keepFaultFor(Duration.ofSeconds(4));
                    kafka.start();
                });
    }

    @Test
    void redisKilledAndFlushedUnderLoad() throws Exception {
        long start = System.nanoTime();
        JobLoad load = load();
        load.submit(60);
        CompletableFuture<Void> traffic = background(load, Duration.ofSeconds(16));
        awaitAnyScoring();
        redis.kill();
        keepFaultFor(Duration.ofSeconds(3));
        redis.start();
        awaitFinishedJobs(20); // results are written again, then the restarted Redis is emptied
        Process flush =
                new ProcessBuilder("redis-cli", "-p", Integer.toString(redis.port()), "FLUSHALL")
                        .start();
        assertEquals(0, flush.waitFor());
        traffic.get(2, TimeUnit.MINUTES);
        record(
                "Redis killed (no persistence), restarted, then FLUSHALL",
                load.check(Duration.ofMinutes(4)),
                start);
    }

    @Test
    void poisonRecordsAndDuplicateDeliveries() throws Exception {
        long start = System.nanoTime();
        JobLoad load = load();
        load.submit(40);
        List<String> poisonKeys = new ArrayList<>();
        List<RerankJob> duplicated = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
            for (int i = 0; i < 20; i++) {
                String key = "poison-" + i + "-" + System.nanoTime();
                poisonKeys.add(key);
                byte[] value =
                        switch (i % 4) {
                            case 0 -> "{not json".getBytes(StandardCharsets.UTF_8);
                            case 1 -> new byte[] {(byte) 0xff, 0, 1, 2};
                            case 2 ->
                                    "{\"schema\":1,\"id\":\"x\",\"request\":{\"query\":null,\"documents\":[]}}"
                                            .getBytes(StandardCharsets.UTF_8);
                            default -> "[]".getBytes(StandardCharsets.UTF_8);
                        };
                producer.send(new ProducerRecord<>(Topics.JOBS, key, value)).get();
                RerankJob job =
                        aQueuedJob()
                                .withQuery("What is the capital of Peru?")
                                .withDocuments(
                                        "Lima is the capital of Peru.", "Bananas are yellow.")
                                .build();
                duplicated.add(job);
                producer.send(new ProducerRecord<>(Topics.JOBS, job.id(), JobCodec.encodeJob(job)))
                        .get();
                producer.send(new ProducerRecord<>(Topics.JOBS, job.id(), JobCodec.encodeJob(job)))
                        .get();
            }
        }
        JobLoad.Outcome outcome = load.check(Duration.ofMinutes(3));
        Set<String> dead = new HashSet<>();
        Map<String, Set<JobState>> results = new HashMap<>();
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> {
                            readAll(Topics.JOBS_DLQ).forEach(r -> dead.add(r.key()));
                            results.clear();
                            results.putAll(statesOnResultsTopic());
                            return dead.containsAll(poisonKeys)
                                    && duplicated.stream()
                                            .allMatch(j -> results.containsKey(j.id()));
                        });
        assertTrue(dead.containsAll(poisonKeys), "every poison record is on the DLQ");
        for (RerankJob j : duplicated) {
            Set<JobState> states = results.get(j.id());
            assertTrue(
                    states != null && !states.isEmpty(), "duplicated job " + j.id() + " finished");
            assertEquals(
                    1, states.size(), "a job delivered twice has one result, not two: " + states);
            assertEquals("succeeded", states.iterator().next().status().wireName());
        }
        record("20 poison records + 20 jobs delivered twice", outcome, start);
    }

    /** Each job's distinct states on {@code rerank.results}. */
    private static Map<String, Set<JobState>> statesOnResultsTopic() {
        Map<String, Set<JobState>> states = new HashMap<>();
        readAll(Topics.RESULTS)
                .forEach(
                        r ->
                                states.computeIfAbsent(r.key(), k -> new HashSet<>())
                                        .add(JobCodec.decodeState(r.value())));
        return states;
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        return KafkaBroker.readAll(kafka.bootstrapServers(), topic);
    }

    /**
     * Steady load at 60 % of the capacity measured just before, for {@code -Dsoak.duration} (12s in
     * the test run; the release check is {@code -Dsoak.duration=30m}): nothing refused, nothing
     * lost, latency flat, heap after a full GC flat.
     */
    @Test
    void soakAtSixtyPercentOfCapacity() throws Exception {
        Duration duration =
                Duration.parse(
                        "PT" + System.getProperty("soak.duration", "12s").toUpperCase(Locale.ROOT));
        JobLoad warmUp =
                load(); // JIT and model warm-up, so the capacity measured is the steady one
        warmUp.submitFor(Duration.ofSeconds(3), Duration.ofMillis(20));
        warmUp.check(Duration.ofMinutes(3));
        // capacity: the drain rate under an open-loop overload, so intake competes with scoring for
        // the CPU as it will
        JobLoad probe = load();
        probe.submitFor(Duration.ofSeconds(2), Duration.ofMillis(4));
        double capacity = probe.check(Duration.ofMinutes(3)).jobsPerSecond();
        // 60 %: the capacity is measured under overload on shared cores, where it comes out high;
        // at 80 % queues formed, and at 70 % the median of the last third still came out three
        // times the first's in clean-clone runs (269 -> 1,081 ms, 513 -> 1,464 ms): a queue
        double rate = 0.6 * capacity;
        List<AppProcess> apps = new ArrayList<>(workers);
        apps.add(gateway);
        long heapBefore = 0;
        for (AppProcess app : apps) {
            heapBefore += app.heapAfterGcBytes();
        }
        long start = System.nanoTime();
        JobLoad load = load();
        load.submitFor(duration, Duration.ofNanos((long) (1e9 / rate)));
        JobLoad.Outcome outcome = load.check(Duration.ofMinutes(4));
        long heapAfter = 0;
        for (AppProcess app : apps) {
            heapAfter += app.heapAfterGcBytes();
        }
        record(
                "soak: "
                        + duration.toSeconds()
                        + " s at 60 % of capacity ("
                        + String.format(Locale.ROOT, "%.1f", rate)
                        + " jobs/s)",
                outcome,
                start);
        long firstP99 = outcome.totalMillisAt(0.99, 0, 1 / 3.0);
        long lastP99 = outcome.totalMillisAt(0.99, 2 / 3.0, 1);
        long firstP50 = outcome.totalMillisAt(0.5, 0, 1 / 3.0);
        long lastP50 = outcome.totalMillisAt(0.5, 2 / 3.0, 1);
        notes.add(
                String.format(
                        Locale.ROOT,
                        "Soak: capacity measured at %.1f jobs/s (drain rate under a 2 s open-loop"
                                + " overload), then %d s at %.1f jobs/s: %d accepted, %d refused; acceptance to result p50 %d ms, p99 %d ms"
                                + " (first third p50 %d ms, p99 %d ms; last third p50 %d ms, p99 %d ms); heap of gateway + 2 workers after a full GC %d MiB"
                                + " before, %d MiB after.",
                        capacity,
                        duration.toSeconds(),
                        rate,
                        outcome.accepted(),
                        outcome.rejected(),
                        outcome.totalMillisAt(0.5),
                        outcome.totalMillisAt(0.99),
                        firstP50,
                        firstP99,
                        lastP50,
                        lastP99,
                        heapBefore >> 20,
                        heapAfter >> 20));
        assertEquals(0, outcome.rejected(), "nothing refused at 60 % of capacity");
        // what docs/reliability.md promises: a load above capacity grows a queue, which raises the
        // latency of every job after it, so the median of the last third climbs. The median of the
        // last third may be at most 3x the first third's, with a floor of 1 s above it. A p99 of
        // the ~130 jobs of a third is their second slowest: one stall of the two shared cores
        // moves it by seconds without any queue (seen in CI: 425 ms then 2.8 s at p99), so the
        // p99s are recorded, not asserted.
        assertTrue(
                lastP50 <= Math.max(3 * firstP50, firstP50 + 1_000),
                "latency drifts up (p50 "
                        + firstP50
                        + " ms in the first third, "
                        + lastP50
                        + " ms in the last): the load is above capacity");
        assertTrue(
                heapAfter - heapBefore < 96L << 20,
                "heap after GC grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
    }

    @Test
    void scorerFailsThenHangsThenRecovers() throws Exception {
        try {
            scorerFaults();
        } finally {
            startWorkers("faults-worker", Map.of()); // the suite's own workers again
        }
    }

    private void scorerFaults() throws Exception {
        try (VllmEmulator emulator = VllmEmulator.start(EmulatorSettings.defaults(0))) {
            // the same two workers, now in front of an emulated vLLM with a short timeout and
            // breaker
            startWorkers(
                    "faults-gpu-worker",
                    Map.of(
                            "rerank.worker.scorer.type", "vllm",
                            "rerank.worker.scorer.vllm.url", "http://127.0.0.1:" + emulator.port(),
                            "rerank.worker.scorer.vllm.timeout", "2s",
                            "rerank.worker.scorer.vllm.breaker-open", "3s",
                            // an 8 s outage fits in the budget with 8 s to spare (the breaker stays
                            // open 3 s past the last failure, backoff adds up to 2 s, and a slow
                            // machine stretches both); the permanent one at the end does not
                            "rerank.worker.scorer.attempts", "30",
                            "rerank.worker.scorer.retry-max-backoff", "2s",
                            "rerank.worker.scorer.retry-budget", "16s",
                            // the load repeats its pairs: without this the cache would answer and
                            // the fault never be met
                            "rerank.worker.cache.max-entries", "0"));
            long start = System.nanoTime();
            JobLoad load = load();
            load.submit(50);
            CompletableFuture<Void> traffic = background(load, Duration.ofSeconds(12));
            awaitAnyScoring();
            emulator.faults(new Faults(1.0, 0, 0, false));
            keepFaultFor(Duration.ofSeconds(4));
            emulator.faults(new Faults(0, 0, 0, true));
            keepFaultFor(Duration.ofSeconds(4));
            emulator.faults(Faults.NONE);
            traffic.get(2, TimeUnit.MINUTES);
            JobLoad.Outcome outcome = load.check(Duration.ofMinutes(4));
            JsonNode stats = emulator.stats();
            notes.add(
                    "Scorer faults: the emulated vLLM answered "
                            + stats.get("failed_requests").asLong()
                            + " calls with 500, then"
                            + " hung for 4 s (2 s timeout); every accepted job still succeeded.");
            record("vLLM 5xx for 4 s, then hanging past the 2 s timeout for 4 s", outcome, start);
            assertTrue(stats.get("failed_requests").asLong() > 0, "the fault was injected");

            // an outage longer than the retry budget: the jobs end failed, with the reason, and
            // their records go to the DLQ
            emulator.faults(new Faults(1.0, 0, 0, false));
            JobLoad doomed = load();
            doomed.submit(5);
            JobLoad.Outcome failed = doomed.check(Duration.ofMinutes(2));
            emulator.faults(Faults.NONE);
            assertEquals(5, failed.accepted());
            assertEquals(5, failed.wrong(), "every job ended, not succeeded: " + failed.problems());
            assertEquals(0, failed.lost());
            assertTrue(
                    failed.problems().stream()
                            .allMatch(
                                    p ->
                                            p.contains("ended failed")
                                                    && p.contains("scoring failed")),
                    failed.problems().toString());
            Set<String> dead = new HashSet<>();
            await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> {
                                readAll(Topics.JOBS_DLQ).forEach(r -> dead.add(r.key()));
                                return dead.containsAll(doomed.acceptedIds());
                            });
            notes.add(
                    "Scorer down past the retry budget (16 s in this scenario): 5 of 5 jobs ended `failed` (\""
                            + failed.problems().get(0).replaceFirst("^\\S+ ", "")
                            + "\") and their records are on rerank.jobs.dlq.");
        }
    }

    /**
     * An error body as the route promises it: problem+json on the job API; on a drop-in route JSON
     * with the problem's fields and the message where that family's client reads it (TEI's shape
     * for a TEI request).
     */
    private static boolean isProblem(HttpResponse<String> r) {
        String type = r.headers().firstValue("content-type").orElse("");
        if (type.startsWith("application/problem+json")) {
            return true;
        }
        if (!type.startsWith("application/json")
                || !List.of("/rerank", "/v1/rerank", "/v2/rerank", "/score", "/v1/score")
                        .contains(r.uri().getPath())) {
            return false;
        }
        try {
            JsonNode body = JobCodec.mapper().readTree(r.body());
            return body.path("error").path("message").isTextual()
                            && body.path("message").isTextual()
                            && body.path("type").isTextual()
                    || body.path("error").isTextual() && body.path("error_type").isTextual();
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void tenThousandBadRequestsGetNo5xxAndOnlyProblems() throws Exception {
        long start = System.nanoTime();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String batch =
                JobCodec.mapper()
                        .readTree(
                                http.send(
                                                HttpRequest.newBuilder(
                                                                URI.create(
                                                                        gateway.baseUrl()
                                                                                + "/v1/rerank/jobs:batch"))
                                                        .header("Authorization", "Bearer " + ACME)
                                                        .header("content-type", "application/json")
                                                        .POST(
                                                                HttpRequest.BodyPublishers.ofString(
                                                                        "{\"jobs\":[{\"query\":\"fuzz\",\"documents\":[\"a\"]}]}"))
                                                        .build(),
                                                HttpResponse.BodyHandlers.ofString())
                                        .body())
                        .get("batch_id")
                        .asText();
        RequestFuzzer fuzzer = new RequestFuzzer(7, gateway.baseUrl(), ACME, batch);
        Semaphore inFlight = new Semaphore(16);
        AtomicInteger serverErrors = new AtomicInteger();
        AtomicInteger notProblem = new AtomicInteger();
        Map<Integer, AtomicInteger> byStatus = new ConcurrentHashMap<>();
        List<String> samples = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<?>> all = new ArrayList<>();
        // 4,000 in the test run; the figures in docs/reliability.md are of -Dfaults.fuzz=10000
        int total = FUZZED;
        for (int i = 0; i < total; i++) {
            HttpRequest req = fuzzer.next();
            inFlight.acquire();
            all.add(
                    http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                            .handle(
                                    (r, e) -> {
                                        inFlight.release();
                                        if (e != null) {
                                            serverErrors.incrementAndGet();
                                            samples.add(
                                                    req.method() + " " + req.uri() + " -> " + e);
                                            return null;
                                        }
                                        byStatus.computeIfAbsent(
                                                        r.statusCode(), k -> new AtomicInteger())
                                                .incrementAndGet();
                                        if (r.statusCode() >= 500) {
                                            serverErrors.incrementAndGet();
                                            samples.add(
                                                    req.method()
                                                            + " "
                                                            + req.uri()
                                                            + " -> "
                                                            + r.statusCode()
                                                            + " "
                                                            + r.body());
                                        } else if (r.statusCode() >= 400 && !isProblem(r)) {
                                            notProblem.incrementAndGet();
                                            samples.add(
                                                    req.method()
                                                            + " "
                                                            + req.uri()
                                                            + " -> "
                                                            + r.statusCode()
                                                            + " not a problem: "
                                                            + r.body());
                                        }
                                        return null;
                                    }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        notes.add(
                "Fuzz: "
                        + total
                        + " generated requests ("
                        + fuzzer.kinds()
                        + "); responses by status "
                        + new TreeMap<>(byStatus)
                        + "; 5xx or failed: "
                        + serverErrors.get()
                        + "; errors without a problem body: "
                        + notProblem.get()
                        + "; "
                        + (System.nanoTime() - start) / 1_000_000_000
                        + " s");
        assertEquals(
                0,
                serverErrors.get(),
                "no 5xx: " + samples.subList(0, Math.min(5, samples.size())));
        assertEquals(
                0,
                notProblem.get(),
                "every error is a problem: " + samples.subList(0, Math.min(5, samples.size())));
        JobLoad after = load();
        after.submit(5);
        JobLoad.Outcome o = after.check(Duration.ofMinutes(2));
        assertEquals(5, o.succeeded(), "the gateway still serves after the fuzz");
    }

    @Test
    void anotherTenantsJobsAre404OnEveryEndpoint() throws Exception {
        JobLoad acme = load();
        acme.submit(20);
        acme.check(Duration.ofMinutes(2));
        HttpClient http = HttpClient.newHttpClient();
        int attempts = 0;
        for (String id : acme.acceptedIds()) {
            JobLoad globex = new JobLoad(gateway.baseUrl(), GLOBEX);
            for (HttpRequest req :
                    List.of(
                            globex.request("/v1/rerank/jobs/" + id).GET().build(),
                            globex.request("/v1/rerank/jobs/" + id + "/events")
                                    .header("Accept", "text/event-stream")
                                    .GET()
                                    .build(),
                            globex.request("/v1/rerank/jobs/" + id).DELETE().build())) {
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                attempts++;
                assertEquals(404, r.statusCode(), req.method() + " " + req.uri());
                assertTrue(r.body().contains("/problems/job-not-found"), r.body());
            }
        }
        notes.add(
                "Cross-tenant: "
                        + attempts
                        + " GET/SSE/DELETE attempts on another tenant's jobs, all 404 job-not-found.");
    }

    /**
     * The README's promise: logs never print API keys, document or query text (every log of the
     * suite: this scenario's jobs, and every scenario run before it).
     */
    @Test
    void logsNeverPrintKeysDocumentsOrQueries() throws Exception {
        JobLoad load = load(); // jobs of its own, so the logs hold traffic even when run alone
        load.submit(10);
        assertEquals(10, load.check(Duration.ofMinutes(2)).succeeded());
        List<String> secrets =
                List.of(
                        ACME,
                        GLOBEX,
                        "capital of",
                        "Bananas are yellow.",
                        "Gravity pulls objects together.");
        List<String> leaks = new ArrayList<>();
        try (var logs = Files.list(AppProcess.logs())) {
            for (Path log :
                    logs.filter(p -> p.getFileName().toString().startsWith("faults-")).toList()) {
                try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
                    lines.filter(l -> secrets.stream().anyMatch(l::contains))
                            .limit(3)
                            .forEach(l -> leaks.add(log.getFileName() + ": " + l));
                }
            }
        }
        assertTrue(leaks.isEmpty(), "logs print a key, a document or a query: " + leaks);
    }
}
