package dev.rerankqueue.system;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.testing.KafkaBroker;
import dev.rerankqueue.testing.RedisServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.FixedHostPortGenericContainer;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The system on a three-broker KRaft cluster in containers, as production runs Kafka: every topic
 * replicated three times with {@code min.insync.replicas=2}, Redis in a container with AOF, two
 * gateways in containers (the image of {@code deploy/docker/Dockerfile.gateway}), one worker as a
 * process beside them, and a second worker in its own container (the image of {@code
 * deploy/docker/Dockerfile.worker}) on three networks: the brokers', Redis's, and its emulated
 * GPU's; each worker scores with the vLLM emulator in a container (the image of {@code
 * deploy/docker/Dockerfile.emulator}). Under load: the broker leading the most job partitions is
 * killed ({@code docker kill}, SIGKILL) and started again; the containerised worker is cut off from
 * Kafka past its session, then from Redis ({@code docker network disconnect}), each time joined
 * again. Every accepted job must succeed, none lost, none wrong, none with two different results,
 * and the refusals meanwhile can only be 503 or 429.
 *
 * <p>The brokers run the image in {@code KAFKA_IMAGE} ({@code apache/kafka:4.1.1} by default),
 * Redis {@code REDIS_IMAGE} ({@code redis:7.4.2}), the worker's JRE {@code JRE_IMAGE} ({@code
 * .ci/run} builds stand-ins from Debian's packages). Skipped, saying so, without a Docker daemon.
 */
class KafkaClusterIT {

    private static final String KEY = "cluster-acme-key";
    private static final int BROKERS = 3;
    private static final int JOB_PARTITIONS = 6;

    /** How long the containerised worker is cut off: past its 10 s session timeout. */
    private static final long CUT_MS = 13_000;

    private static final List<GenericContainer<?>> brokers = new ArrayList<>();
    private static Network network;
    private static Network redisNetwork;
    private static GenericContainer<?> redis;
    private static GenericContainer<?> boxedWorker;

    /** The network of the workers' model servers, never cut. */
    private static Network modelNetwork;

    /**
     * Each worker's emulated GPU: the process worker's first, the containerised worker's second.
     */
    private static final List<GenericContainer<?>> emulators = new ArrayList<>();

    /** Both gateways run in containers of their own (the image of Dockerfile.gateway). */
    private static BoxedGateway gateway;

    private static BoxedGateway secondGateway;

    private static final List<AppProcess> workers = new ArrayList<>();
    private static String bootstrap;

    @BeforeAll
    static void startCluster() throws Exception {
        assumeTrue(
                DockerClientFactory.instance().isDockerAvailable(),
                "no Docker daemon here: the three-broker cluster is not run (.ci/run starts one)");
        // the containerised worker's image is built while the brokers start
        CompletableFuture.runAsync(() -> BoxedWorker.image().get());
        CompletableFuture.runAsync(() -> BoxedEmulator.image().get());
        CompletableFuture.runAsync(() -> BoxedGateway.image().get());
        String image = System.getenv().getOrDefault("KAFKA_IMAGE", "apache/kafka:4.1.1");
        network = Network.newNetwork();
        List<Integer> ports = new ArrayList<>();
        String voters = "";
        for (int id = 1; id <= BROKERS; id++) {
            ports.add(RedisServerProcess.FreePort.find());
            voters += (id > 1 ? "," : "") + id + "@kafka-" + id + ":9093";
        }
        for (int id = 1; id <= BROKERS; id++) {
            int port = ports.get(id - 1);
            @SuppressWarnings("deprecation") // a fixed host port: the broker advertises it
            GenericContainer<?> broker =
                    new FixedHostPortGenericContainer<>(image)
                            .withFixedExposedPort(port, 9092)
                            .withNetwork(network)
                            .withNetworkAliases("kafka-" + id)
                            .withEnv(brokerSettings(id, port, voters))
                            .waitingFor(
                                    Wait.forLogMessage(".*Kafka Server started.*", 1)
                                            .withStartupTimeout(Duration.ofMinutes(2)));
            brokers.add(broker);
        }
        brokers.parallelStream().forEach(GenericContainer::start);
        bootstrap = ports.stream().map(p -> "localhost:" + p).collect(Collectors.joining(","));
        try (Admin admin = admin()) {
            List<NewTopic> topics =
                    Topics.declared().stream()
                            .map(
                                    t -> {
                                        Map<String, String> configs = new HashMap<>(t.configs());
                                        configs.put("min.insync.replicas", "2");
                                        return new NewTopic(
                                                        t.name(),
                                                        t.partitions(JOB_PARTITIONS),
                                                        (short) BROKERS)
                                                .configs(configs);
                                    })
                            .toList();
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
        }
        redisNetwork = Network.newNetwork();
        int redisPort = RedisServerProcess.FreePort.find();
        @SuppressWarnings("deprecation") // a fixed host port: it stays when Redis is restarted
        GenericContainer<?> redisContainer =
                new FixedHostPortGenericContainer<>(
                                System.getenv().getOrDefault("REDIS_IMAGE", "redis:7.4.2"))
                        .withFixedExposedPort(redisPort, 6379)
                        .withNetwork(redisNetwork)
                        .withNetworkAliases("redis")
                        .withCommand("redis-server", "--appendonly", "yes")
                        .waitingFor(Wait.forListeningPort());
        redis = redisContainer;
        redis.start();
        String redisUrl = "redis://localhost:" + redisPort;
        Map<String, String> infra =
                Map.of("kafka.bootstrap.servers", bootstrap, "quarkus.redis.hosts", redisUrl);
        modelNetwork = Network.newNetwork();
        emulators.add(BoxedEmulator.start(modelNetwork, "emulator-1"));
        emulators.add(BoxedEmulator.start(modelNetwork, "emulator-2"));
        Map<String, String> props = new HashMap<>(infra);
        props.put("rerank.worker.id", "cluster-worker-1");
        props.put("rerank.worker.scorer.type", "vllm");
        props.put("rerank.worker.scorer.vllm.url", BoxedEmulator.url(emulators.get(0)));
        workers.add(
                AppProcess.start(
                        "cluster-worker-1",
                        "worker.jar",
                        RedisServerProcess.FreePort.find(),
                        props));
        // the gateways start in their containers while the containerised worker does
        CompletableFuture<BoxedGateway> first =
                CompletableFuture.supplyAsync(
                        () -> BoxedGateway.start(network, redisNetwork, KEY, BROKERS, "gateway-1"));
        CompletableFuture<BoxedGateway> second =
                CompletableFuture.supplyAsync(
                        () -> BoxedGateway.start(network, redisNetwork, KEY, BROKERS, "gateway-2"));
        boxedWorker =
                BoxedWorker.start(
                        network,
                        redisNetwork,
                        modelNetwork,
                        "http://emulator-2:" + BoxedEmulator.PORT,
                        "cluster-worker-2",
                        BROKERS);
        gateway = first.join();
        secondGateway = second.join();
        for (AppProcess w : workers) {
            w.awaitReady(Duration.ofSeconds(90));
        }
    }

    /** One KRaft node (broker and controller), configured through the image's KAFKA_* settings. */
    private static Map<String, String> brokerSettings(int id, int hostPort, String voters) {
        Map<String, String> env = new HashMap<>();
        env.put("CLUSTER_ID", "5L6g3nShT-eMCtK--X86sw");
        env.put("KAFKA_NODE_ID", Integer.toString(id));
        env.put("KAFKA_PROCESS_ROLES", "broker,controller");
        env.put("KAFKA_LISTENERS", "PLAINTEXT://:9092,INTERNAL://:19092,CONTROLLER://:9093");
        env.put(
                "KAFKA_ADVERTISED_LISTENERS",
                "PLAINTEXT://localhost:" + hostPort + ",INTERNAL://kafka-" + id + ":19092");
        env.put(
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT");
        env.put("KAFKA_INTER_BROKER_LISTENER_NAME", "INTERNAL");
        env.put("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER");
        env.put("KAFKA_CONTROLLER_QUORUM_VOTERS", voters);
        env.put("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3");
        env.put("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3");
        env.put("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2");
        env.put("KAFKA_MIN_INSYNC_REPLICAS", "2");
        env.put("KAFKA_DEFAULT_REPLICATION_FACTOR", "3");
        env.put("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
        env.put("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        env.put("KAFKA_LOG_CLEANER_DEDUPE_BUFFER_SIZE", "8388608");
        env.put("KAFKA_HEAP_OPTS", "-Xms64m -Xmx384m");
        return env;
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (AppProcess w : workers) {
            w.close();
        }
        for (BoxedGateway g : new BoxedGateway[] {gateway, secondGateway}) {
            if (g != null) {
                Files.writeString(
                        AppProcess.logs()
                                .resolve("cluster-gateway-" + (g == gateway ? 1 : 2) + ".log"),
                        g.logs());
                g.stop();
            }
        }
        if (boxedWorker != null) {
            Files.writeString(
                    AppProcess.logs().resolve("cluster-worker-2.log"), boxedWorker.getLogs());
            boxedWorker.stop();
        }
        if (redis != null) {
            // what it loaded from its append-only file after the kill, and any fsync it delayed
            Files.writeString(AppProcess.logs().resolve("cluster-redis.log"), redis.getLogs());
            redis.stop();
        }
        for (int i = 0; i < brokers.size(); i++) {
            // each broker's log beside the apps' logs: what a failover did, when it took long
            if (brokers.get(i).isRunning()) {
                Files.writeString(
                        AppProcess.logs().resolve("cluster-kafka-" + (i + 1) + ".log"),
                        brokers.get(i).getLogs());
            }
        }
        brokers.forEach(GenericContainer::stop);
        emulators.forEach(GenericContainer::stop);
        if (modelNetwork != null) {
            modelNetwork.close();
        }
        if (network != null) {
            network.close();
        }
        if (redisNetwork != null) {
            redisNetwork.close();
        }
    }

    @Test
    void theLeaderOfTheBusiestPartitionsIsKilledUnderLoad() throws Exception {
        long start = System.nanoTime();
        ModelWork before = ModelWork.now();
        JobLoad load = new JobLoad(gateway.baseUrl(), KEY);
        load.submitFor(Duration.ofSeconds(4), Duration.ofMillis(100)); // 10 jobs/s, before
        int victim = busiestLeader();
        String container = brokers.get(victim - 1).getContainerId();
        DockerClientFactory.instance().client().killContainerCmd(container).exec();
        load.submitFor(Duration.ofSeconds(10), Duration.ofMillis(100)); // during
        DockerClientFactory.instance().client().startContainerCmd(container).exec();
        // until the gateway accepts again: how long the failover stalls acks=all sends depends on
        // when the dead broker leaves the partitions' in-sync replicas and how fast it returns,
        // which varies with the machine; reported, not assumed
        Duration resumed = load.submitUntilAccepted(Duration.ofMinutes(2), Duration.ofMillis(100));
        // after: the load is taken again
        load.awaitAnswers(); // so the count below starts from what was answered before
        int acceptedBeforeAfter = load.acceptedSoFar();
        load.submitFor(Duration.ofSeconds(10), Duration.ofMillis(100));
        JobLoad.Outcome o = load.check(Duration.ofMinutes(3));
        int acceptedAfter = load.acceptedSoFar() - acceptedBeforeAfter;
        JobLoad.RefusedOnTopic refusedJobs = load.refusedThatRan(bootstrap, o);
        ModelWork.Since model = ModelWork.now().since(before);
        String row =
                String.format(
                        "| broker %d (leader of the most job partitions) killed for 10 s under 10"
                                + " submits/s, 3 brokers, RF 3, min ISR 2 | %d | %d (%s; %d of them on the"
                                + " topic, none run) | %d | %d | %d | %d | %d | %.1f s | %d of"
                                + " 100 | %s |",
                        victim,
                        o.accepted(),
                        o.rejected(),
                        o.refusedBy(),
                        refusedJobs.delivered(),
                        o.succeeded(),
                        o.lost(),
                        o.wrong(),
                        o.rescored(),
                        (System.nanoTime() - start) / 1_000_000_000,
                        (resumed.toMillis() + 10_000) / 1000.0,
                        acceptedAfter,
                        model);
        report(row + "\n");
        System.out.println(row);
        model.assertEveryPairWentToAModelServer();
        assertTrue(
                resumed.compareTo(Duration.ofMinutes(2)) < 0, "accepting again after the restart");
        assertTrue(
                acceptedAfter >= 50,
                "once accepting again, the load is taken: " + acceptedAfter + " of 100 accepted");
        assertNothingLost(o, true);
        assertNoRefusalRan(refusedJobs);
    }

    /**
     * The containerised worker cut off from the brokers for 13 s under 10 submits/s (past its 10 s
     * session: its partitions go to the other worker while it still holds jobs), joined again, then
     * cut off from Redis for 13 s (it keeps its partitions but can neither claim nor write), joined
     * again, then frozen for 13 s ({@code docker pause}: past its session and its jobs' leases, its
     * connections open) and thawed, a zombie that wakes up holding jobs another worker has taken
     * over. Every accepted job succeeds, and none has two different results on {@code
     * rerank.results}: what the cut-off or frozen worker held is finished once, by one of the two.
     */
    @Test
    void aWorkerCutOffThenFrozenLosesNothingAndWritesNoSecondResult() throws Exception {
        long start = System.nanoTime();
        ModelWork before = ModelWork.now();
        JobLoad load = new JobLoad(gateway.baseUrl(), KEY);
        String box = boxedWorker.getContainerId();
        long logLinesBefore = jobLogLines(boxedWorker.getLogs());
        CompletableFuture<Void> traffic =
                submitting(load, Duration.ofSeconds(55), Duration.ofMillis(100));
        Thread.sleep(3_000);
        BoxedWorker.disconnect(box, network);
        Thread.sleep(CUT_MS);
        BoxedWorker.connect(box, network, "cluster-worker-2");
        Thread.sleep(6_000);
        BoxedWorker.disconnect(box, redisNetwork);
        Thread.sleep(CUT_MS);
        BoxedWorker.connect(box, redisNetwork, "cluster-worker-2");
        Thread.sleep(6_000);
        BoxedWorker.Frozen frozen = BoxedWorker.freeze(box);
        Thread.sleep(CUT_MS);
        frozen.thaw().run();
        traffic.get(2, TimeUnit.MINUTES);
        JobLoad.Outcome o = load.check(Duration.ofMinutes(3));
        Set<String> accepted = new HashSet<>(load.acceptedIds());
        Map<String, Set<JobState>> results = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : KafkaBroker.readAll(bootstrap, Topics.RESULTS)) {
            if (accepted.contains(r.key())) {
                results.computeIfAbsent(r.key(), k -> new HashSet<>())
                        .add(JobCodec.decodeState(r.value()));
            }
        }
        List<String> twice =
                results.entrySet().stream()
                        .filter(e -> e.getValue().size() > 1)
                        .map(e -> e.getKey() + " " + e.getValue())
                        .toList();
        long scoredInTheBox = jobLogLines(boxedWorker.getLogs()) - logLinesBefore;
        ModelWork.Since model = ModelWork.now().since(before);
        String row =
                String.format(
                        "| the containerised worker cut off from Kafka for 13 s (session 10 s), then"
                                + " from Redis for 13 s, then frozen (%s) for 13 s, under 10"
                                + " submits/s | %d | %d (%s) | %d | %d | %d | %d | %d with two"
                                + " different results | %.1f s | %d jobs finished by the"
                                + " containerised worker | %s |",
                        frozen.how(),
                        o.accepted(),
                        o.rejected(),
                        o.refusedBy(),
                        o.succeeded(),
                        o.lost(),
                        o.wrong(),
                        o.rescored(),
                        twice.size(),
                        (System.nanoTime() - start) / 1e9,
                        scoredInTheBox,
                        model);
        report(row + "\n");
        System.out.println(row);
        assertTrue(scoredInTheBox > 0, "the containerised worker took part");
        model.assertEveryPairWentToAModelServer();
        assertNothingLost(o, true);
        assertTrue(twice.isEmpty(), "jobs with two different results: " + twice);
        assertNoRefusalRan(load.refusedThatRan(bootstrap, o));
    }

    /**
     * Two gateways take 5 submits/s each for 22 s; one is killed (SIGKILL) mid-burst and started
     * again, and while it starts Redis is killed ({@code docker kill}) and started again from its
     * append-only file. Every job either gateway answered 202 succeeds; a submission the killed
     * gateway never answered counts neither way (its client cannot know and retries with an
     * Idempotency-Key); the other gateway's refusals can only be 503 or 429.
     */
    @Test
    void aGatewayKilledMidBurstThenRedisKilledLoseNoAcceptedJob() throws Exception {
        long start = System.nanoTime();
        ModelWork before = ModelWork.now();
        JobLoad killed = new JobLoad(gateway.baseUrl(), KEY);
        JobLoad other = new JobLoad(secondGateway.baseUrl(), KEY);
        List<CompletableFuture<Void>> traffic = new ArrayList<>();
        for (JobLoad load : List.of(killed, other)) {
            traffic.add(submitting(load, Duration.ofSeconds(22), Duration.ofMillis(200)));
        }
        Thread.sleep(4_000);
        gateway.kill();
        gateway.restart(); // starting again while Redis goes down and comes back
        Thread.sleep(2_000);
        String redisContainer = redis.getContainerId();
        DockerClientFactory.instance().client().killContainerCmd(redisContainer).exec();
        Thread.sleep(3_000);
        DockerClientFactory.instance().client().startContainerCmd(redisContainer).exec();
        gateway.awaitReady(Duration.ofSeconds(90));
        for (CompletableFuture<Void> t : traffic) {
            t.get(2, TimeUnit.MINUTES);
        }
        List<String> rows = new ArrayList<>();
        for (JobLoad load : List.of(killed, other)) {
            JobLoad.Outcome o = load.check(Duration.ofMinutes(3));
            String row =
                    String.format(
                            "| %s, 5 submits/s each of two gateways; gateway 1 killed (docker kill) at 4 s and"
                                    + " restarted, Redis killed 2 s later and restarted from its AOF | %d"
                                    + " | %d (%s) | %d | %d | %d | %d | %.1f s |",
                            load == killed ? "through gateway 1" : "through gateway 2",
                            o.accepted(),
                            o.rejected(),
                            o.refusedBy(),
                            o.succeeded(),
                            o.lost(),
                            o.wrong(),
                            o.rescored(),
                            (System.nanoTime() - start) / 1e9);
            rows.add(row);
            System.out.println(row);
            // the killed gateway's unanswered submissions count neither way
            assertNothingLost(o, load == other);
        }
        // jobs the killed gateway sent but never answered were scored too: the model work is
        // counted against every job that succeeded, answered or not
        ModelWork.Since model = ModelWork.now().since(before);
        rows.add("| both gateways together: model work | " + model + " |");
        System.out.println(rows.get(rows.size() - 1));
        report(String.join("\n", rows) + "\n");
        model.assertEveryPairWentToAModelServer();
    }

    /**
     * The model work so far: the pairs the emulators' forward passes scored, and every job
     * succeeded on {@code rerank.results} with its pairs.
     */
    private record ModelWork(long modelPairs, Map<String, Integer> succeeded) {

        static ModelWork now() throws Exception {
            long pairs = 0;
            for (GenericContainer<?> emulator : emulators) {
                pairs += BoxedEmulator.pairs(emulator);
            }
            Map<String, Integer> succeeded = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r :
                    KafkaBroker.readAll(bootstrap, Topics.RESULTS)) {
                JobState state = JobCodec.decodeState(r.value());
                if (state.status() == JobStatus.SUCCEEDED) {
                    succeeded.put(r.key(), state.pairs());
                }
            }
            return new ModelWork(pairs, succeeded);
        }

        /** The model pairs since {@code before}, and the pairs of the jobs that succeeded since. */
        Since since(ModelWork before) {
            long jobPairs =
                    succeeded.entrySet().stream()
                            .filter(e -> !before.succeeded().containsKey(e.getKey()))
                            .mapToLong(Map.Entry::getValue)
                            .sum();
            return new Since(modelPairs - before.modelPairs(), jobPairs);
        }

        /** Pairs the model servers scored for jobs whose own pairs, each job counted once, were. */
        record Since(long modelPairs, long jobPairs) {
            @Override
            public String toString() {
                return String.format(
                        "%d model pairs for %d pairs of distinct succeeded jobs: %.3f",
                        modelPairs, jobPairs, jobPairs == 0 ? 0.0 : (double) modelPairs / jobPairs);
            }

            /** No job's pairs were scored anywhere but at the emulated GPUs. */
            void assertEveryPairWentToAModelServer() {
                assertTrue(jobPairs > 0, "jobs succeeded: " + this);
                assertTrue(modelPairs >= jobPairs, "every pair scored by a model server: " + this);
            }
        }
    }

    /** Submits on {@code load} every {@code every} for {@code duration}, in the background. */
    private static CompletableFuture<Void> submitting(
            JobLoad load, Duration duration, Duration every) {
        return CompletableFuture.runAsync(
                () -> {
                    try {
                        load.submitFor(duration, every);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
    }

    /**
     * Every accepted job succeeded, none lost or wrong; with {@code politeRefusals}, every refusal
     * was a 503 or a 429.
     */
    private static void assertNothingLost(JobLoad.Outcome o, boolean politeRefusals) {
        if (politeRefusals) {
            assertTrue(
                    o.unexpectedRefusals().isEmpty(),
                    "refusals other than 503/429: " + o.refusedBy());
        }
        assertTrue(o.problems().isEmpty(), o.problems().toString());
        assertEquals(0, o.lost(), "lost");
        assertEquals(0, o.wrong(), "wrong");
        assertEquals(o.accepted(), o.succeeded(), "every accepted job succeeded");
    }

    /** No submission answered with a refusal was scored after all. */
    private static void assertNoRefusalRan(JobLoad.RefusedOnTopic refused) {
        assertTrue(refused.ran().isEmpty(), "refused submissions scored anyway: " + refused.ran());
    }

    /** Appends {@code rows} to the cluster report beside the apps' logs. */
    private static void report(String rows) throws IOException {
        Files.writeString(
                AppProcess.logs().resolve("../cluster-report.md").normalize(),
                rows,
                CREATE,
                APPEND);
    }

    /** The worker's job log lines ("job ... succeeded: ...") in {@code log}. */
    private static long jobLogLines(String log) {
        return log.lines().filter(l -> l.contains(" succeeded: tenant=")).count();
    }

    /** The node id leading the most partitions of the jobs topic. */
    private static int busiestLeader() throws Exception {
        try (Admin admin = admin()) {
            Map<Integer, Integer> led = new HashMap<>();
            for (TopicPartitionInfo p :
                    admin.describeTopics(List.of(Topics.JOBS))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS)
                            .get(Topics.JOBS)
                            .partitions()) {
                led.merge(p.leader().id(), 1, Integer::sum);
            }
            return led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        }
    }

    private static Admin admin() {
        return Admin.create(
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        30000));
    }
}
