package dev.rerankqueue.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.testing.RedisServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The narrow Redis ACL user that docs/operations.md recommends, set up on a real redis-server: what
 * the gateway's storage guard reads ({@code INFO memory}, without which it never refuses a job
 * before Redis is full) passes, and what the service never needs is refused.
 */
class RedisAclTest {

    @Test
    void theDocumentedAclLetsTheStorageGuardReadRedisMemory() throws Exception {
        Matcher documented =
                Pattern.compile("`user rerank on >… ([^`]+)`")
                        .matcher(
                                Files.readString(
                                        DeploymentFilesTest.ROOT.resolve("docs/operations.md")));
        assertTrue(documented.find(), "docs/operations.md gives the ACL user's rules");
        try (RedisServerProcess redis = new RedisServerProcess().start()) {
            List<String> setUser =
                    new ArrayList<>(List.of("ACL", "SETUSER", "rerank", "on", ">secret"));
            setUser.addAll(List.of(documented.group(1).trim().split("\\s+")));
            assertEquals("OK", cli(redis, false, setUser.toArray(String[]::new)));
            String info = cli(redis, true, "INFO", "memory");
            assertTrue(info.contains("maxmemory:"), "INFO memory as the service's user: " + info);
            assertTrue(
                    cli(redis, true, "FLUSHALL").contains("NOPERM"),
                    "no dangerous command beyond INFO");
            assertTrue(cli(redis, true, "GET", "other:key").contains("NOPERM"));
        }
    }

    private static String cli(RedisServerProcess redis, boolean asService, String... args)
            throws Exception {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                RedisServerProcess.binary().replace("redis-server", "redis-cli"),
                                "-p",
                                String.valueOf(redis.port())));
        if (asService) {
            command.addAll(List.of("--user", "rerank", "--pass", "secret", "--no-auth-warning"));
        }
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return out;
    }
}
