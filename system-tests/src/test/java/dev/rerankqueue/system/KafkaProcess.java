package dev.rerankqueue.system;

import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.testing.KafkaBroker;
import dev.rerankqueue.testing.RedisServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A real Kafka broker (single-node KRaft) in its own JVM, started from the broker jars on the test
 * class path, with its data on disk so that it can be stopped, killed and started again on the same
 * port, as an operator would.
 */
final class KafkaProcess implements AutoCloseable {

    private final int port = RedisServerProcess.FreePort.find();
    private final int controllerPort = RedisServerProcess.FreePort.find();
    private final Path dir;
    private final Path log;
    private Process process;

    KafkaProcess(Path logs) throws IOException {
        this.dir = Files.createTempDirectory("kafka-process");
        this.log = logs.resolve("kafka.log");
        Files.writeString(
                dir.resolve("server.properties"),
                String.join(
                        "\n",
                        "process.roles=broker,controller",
                        "node.id=1",
                        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                        "listeners=PLAINTEXT://127.0.0.1:"
                                + port
                                + ",CONTROLLER://127.0.0.1:"
                                + controllerPort,
                        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                        "controller.listener.names=CONTROLLER",
                        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                        "log.dirs=" + dir.resolve("data"),
                        "offsets.topic.replication.factor=1",
                        "transaction.state.log.replication.factor=1",
                        "transaction.state.log.min.isr=1",
                        "group.initial.rebalance.delay.ms=0",
                        "auto.create.topics.enable=false",
                        "message.max.bytes=" + Topics.MAX_RECORD_BYTES,
                        "log.cleaner.dedupe.buffer.size=8388608",
                        ""));
        run(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                UUID.randomUUID().toString().replace("-", "").substring(0, 22),
                "-c",
                dir.resolve("server.properties").toString());
    }

    private void run(String main, String... args) throws IOException {
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                java(),
                                "-Xmx128m",
                                "-cp",
                                System.getProperty("java.class.path"),
                                main));
        cmd.addAll(List.of(args));
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(main + " failed; see " + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    synchronized KafkaProcess start() throws Exception {
        process =
                new ProcessBuilder(
                                java(),
                                "-Xms64m",
                                "-Xmx512m",
                                "-XX:+UseSerialGC",
                                "-cp",
                                System.getProperty("java.class.path"),
                                "kafka.Kafka",
                                dir.resolve("server.properties").toString())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
        try (Admin admin = admin()) {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                try {
                    admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
                    return this;
                } catch (Exception e) {
                    if (System.nanoTime() > end || !process.isAlive()) {
                        throw new IllegalStateException("Kafka did not start; see " + log, e);
                    }
                    Thread.sleep(200);
                }
            }
        }
    }

    void createTopics(int jobPartitions) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(KafkaBroker.newTopics(jobPartitions))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    Admin admin() {
        return Admin.create(
                Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers(),
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                        5000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        10000));
    }

    /** A clean shutdown (SIGTERM), as in a rolling restart. */
    synchronized void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
