package dev.rerankqueue.system;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One packaged Quarkus app (a quarkus-run.jar) running as its own JVM process, as in production.
 */
final class AppProcess implements AutoCloseable {

    private final String name;
    private final int port;
    private final Path log;
    private final List<String> command;
    private final Map<String, String> env;
    private Process process;

    private AppProcess(
            String name, int port, Path log, List<String> command, Map<String, String> env) {
        this.name = name;
        this.port = port;
        this.log = log;
        this.command = command;
        this.env = env;
    }

    static AppProcess start(String name, String jarProperty, int port, Map<String, String> props)
            throws IOException {
        return start(name, jarProperty, port, props, Map.of());
    }

    static AppProcess start(
            String name,
            String jarProperty,
            int port,
            Map<String, String> props,
            Map<String, String> env)
            throws IOException {
        Path jar = Path.of(System.getProperty(jarProperty, ""));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    jarProperty
                            + " not found at "
                            + jar
                            + " (run through ./mvnw verify, which packages it)");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xmx512m");
        cmd.add("-Dquarkus.http.port=" + port);
        if (!env.containsKey("RERANK_API_KEYS") && !props.containsKey("rerank.auth.required")) {
            // a test stack without keys says so, as deploy/local/up.sh does
            cmd.add("-Drerank.auth.required=false");
        } else if (!props.containsKey("rerank.metrics.token")) {
            // with keys on, metrics need the scrape token
            cmd.add("-Drerank.metrics.token=" + SCRAPE_TOKEN);
        }
        if (jarProperty.equals("gateway.jar") && !props.containsKey("rerank.warmup.requests")) {
            // a tenth of the accept path's warm-up before ready: no scenario here measures a cold
            // burst (bench/run.sh accept does), and every gateway start waits for it
            cmd.add("-Drerank.warmup.requests=500");
            if (!props.containsKey("rerank.warmup.http-requests")) {
                cmd.add("-Drerank.warmup.http-requests=200");
            }
        }
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        AppProcess app = new AppProcess(name, port, logs().resolve(name + ".log"), cmd, env);
        app.launch();
        return app;
    }

    /** Where this process's output goes. */
    Path log() {
        return log;
    }

    static Path logs() throws IOException {
        Path logs = Path.of(System.getProperty("logs.dir", "target/system-logs"));
        Files.createDirectories(logs);
        return logs;
    }

    private void launch() throws IOException {
        ProcessBuilder pb =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        process = pb.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    void awaitReady(Duration timeout) throws Exception {
        awaitReady(
                baseUrl(),
                timeout,
                () -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(
                                name + " exited with " + process.exitValue() + "; see " + log);
                    }
                },
                name + " not ready within " + timeout + "; see " + log);
    }

    /**
     * Polls {@code baseUrl}'s readiness until it answers 200, running {@code check} (which throws
     * when there is no point waiting) before each poll; fails with {@code notReady} at {@code
     * timeout}.
     */
    static void awaitReady(String baseUrl, Duration timeout, Runnable check, String notReady)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            check.run();
            try {
                HttpResponse<String> r =
                        http.send(
                                HttpRequest.newBuilder(URI.create(baseUrl + "/q/health/ready"))
                                        .timeout(Duration.ofSeconds(2))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(notReady);
    }

    /**
     * SIGKILL: the process dies mid-whatever, with no shutdown hook, as in a crash or an OOM kill.
     */
    /**
     * Heap in use right after a full GC (jcmd GC.run, then the app's own
     * jvm_memory_used_bytes{area="heap"}): what the app really holds, without the garbage that
     * happens to be uncollected.
     */
    long heapAfterGcBytes() throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process gc =
                new ProcessBuilder(jcmd, Long.toString(process.pid()), "GC.run")
                        .redirectErrorStream(true)
                        .start();
        gc.getInputStream().readAllBytes();
        if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
            throw new IllegalStateException("jcmd GC.run failed for " + name);
        }
        String metrics =
                HttpClient.newHttpClient()
                        .send(metricsRequest(), HttpResponse.BodyHandlers.ofString())
                        .body();
        return (long) sum(metrics, "jvm_memory_used_bytes", "area=\"heap\"");
    }

    /**
     * The sum of every sample of metric {@code name} (all its label sets) on {@code /q/metrics}; 0
     * when the process does not answer.
     */
    double metric(String name) {
        try {
            String body =
                    HttpClient.newHttpClient()
                            .send(metricsRequest(), HttpResponse.BodyHandlers.ofString())
                            .body();
            return sum(body, name, "");
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /**
     * The sum of every sample of metric {@code name} in a scrape whose labels contain {@code
     * labels}.
     */
    private static double sum(String scrape, String name, String labels) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if ((line.startsWith(name + "{") || line.startsWith(name + " "))
                    && line.contains(labels)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** The scrape token a gateway started here with API keys expects on {@code /q/metrics}. */
    static final String SCRAPE_TOKEN = "test-scrape-token";

    /**
     * {@code GET /q/metrics} as a scraper sends it (the token is ignored where metrics are open).
     */
    HttpRequest metricsRequest() {
        return HttpRequest.newBuilder(URI.create(baseUrl() + "/q/metrics"))
                .header("Authorization", "Bearer " + SCRAPE_TOKEN)
                .build();
    }

    /** SIGSTOP or SIGCONT: the process freezes (holds its connections, does nothing) or goes on. */
    void signal(String signal) throws Exception {
        Process kill =
                new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                        .redirectErrorStream(true)
                        .start();
        kill.getInputStream().readAllBytes();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " failed for " + name);
        }
    }

    /**
     * Waits for the process to exit by itself; its exit code, or -1 if it is still running after
     * {@code timeout}.
     */
    int awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                ? process.exitValue()
                : -1;
    }

    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Starts the same command again (after {@link #kill()} or {@link #close()}). */
    void restart() throws IOException {
        launch();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
