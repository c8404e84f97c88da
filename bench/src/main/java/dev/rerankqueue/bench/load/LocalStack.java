package dev.rerankqueue.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A stack on this machine that a scenario starts and stops itself through deploy/local (up.sh /
 * down.sh), in a run folder of its own: for scenarios that compare stacks of different shapes (1,
 * 2, 4 workers). Its data is deleted when it stops; its logs stay.
 */
public final class LocalStack implements AutoCloseable {

    private final Path root;
    private final Path runDir;
    private final Map<String, String> env;
    private final Stack stack;

    private LocalStack(Path root, Path runDir, Map<String, String> env, Stack stack) {
        this.root = root;
        this.runDir = runDir;
        this.env = env;
        this.stack = stack;
    }

    /**
     * Starts {@code workers} workers, each with a vLLM emulator beside it, with the given extra
     * environment (for up.sh and the apps: EMULATOR_ARGS, RERANK_* ...). {@code root} is the
     * project root.
     */
    public static LocalStack start(
            Path root, Path runDir, int workers, Map<String, String> extraEnv, String apiKey)
            throws IOException, InterruptedException {
        deleteTree(runDir);
        Files.createDirectories(runDir);
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("RERANK_RUN_DIR", runDir.toString());
        env.put("SCORER", "emulator");
        env.put("WORKERS", Integer.toString(workers));
        // the ports up.sh will use: deploy/local/env.sh's defaults unless this environment, which
        // up.sh inherits, sets them
        Stack stack =
                new Stack(
                        "http://127.0.0.1:" + port("GATEWAY_PORT", 8080),
                        ports(port("EMULATOR_BASE_PORT", 8101), workers),
                        ports(port("WORKER_BASE_PORT", 8091), workers),
                        apiKey);
        LocalStack local = new LocalStack(root, runDir, env, stack);
        try {
            local.run("deploy/local/up.sh", "up.log");
        } catch (IOException | RuntimeException e) {
            local.close(); // whatever up.sh started before it failed
            throw e;
        }
        return local;
    }

    private static int port(String variable, int fallback) {
        String value = System.getenv(variable);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }

    private static List<String> ports(int base, int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add("http://127.0.0.1:" + (base + i));
        }
        return out;
    }

    public Stack stack() {
        return stack;
    }

    /** Meters this stack's processes and the harness. */
    public CpuMeter cpuMeter() {
        return new CpuMeter(runDir.resolve("pids"));
    }

    private void run(String script, String logName) throws IOException, InterruptedException {
        Path log = runDir.resolve(logName);
        ProcessBuilder pb =
                new ProcessBuilder("bash", script)
                        .directory(root.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        int rc = pb.start().waitFor();
        if (rc != 0) {
            throw new IllegalStateException(
                    script + " exited with " + rc + ":\n" + Files.readString(log));
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("deploy/local/down.sh", "down.log");
        deleteTree(runDir.resolve("data"));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
