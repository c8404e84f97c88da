package dev.rerankqueue.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A real {@code redis-server} process on a free loopback port, without persistence. Needs
 * redis-server on the PATH ({@code apt-get install -y redis-server}); {@code REDIS_SERVER} names
 * another binary.
 */
public final class RedisServerProcess implements AutoCloseable {

    private final int port;
    private final Path dir;
    private Process process;

    public RedisServerProcess() {
        this(FreePort.find());
    }

    public RedisServerProcess(int port) {
        this.port = port;
        try {
            this.dir = Files.createTempDirectory("redis-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String binary() {
        String configured = System.getenv("REDIS_SERVER");
        return configured != null && !configured.isBlank() ? configured : "redis-server";
    }

    public synchronized RedisServerProcess start() {
        if (process != null && process.isAlive()) {
            return this;
        }
        List<String> cmd =
                List.of(
                        binary(),
                        "--port",
                        Integer.toString(port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        dir.toString(),
                        "--protected-mode",
                        "no");
        try {
            process =
                    new ProcessBuilder(cmd)
                            .redirectErrorStream(true)
                            .redirectOutput(dir.resolve("redis.log").toFile())
                            .start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot start " + binary() + " (install it: apt-get install -y redis-server)",
                    e);
        }
        awaitPort(Duration.ofSeconds(10));
        return this;
    }

    /** Kills the server at once, as a crash would: nothing it held is kept. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /**
     * Kills the server and starts it again on the same port and directory: it comes back with what
     * it last saved there (a {@code SAVE}), under a new {@code run_id}, as a server restarted from
     * its persistence files does.
     */
    public synchronized void restart() {
        kill();
        start();
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        kill();
    }

    private void awaitPort(Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "redis-server exited with "
                                + process.exitValue()
                                + "; see "
                                + dir.resolve("redis.log"));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                sleep();
            }
        }
        throw new IllegalStateException(
                "redis-server did not open port " + port + " within " + timeout);
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Free loopback TCP ports. */
    public static final class FreePort {
        private FreePort() {}

        public static int find() {
            try (ServerSocket s = new ServerSocket(0)) {
                s.setReuseAddress(true);
                return s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
