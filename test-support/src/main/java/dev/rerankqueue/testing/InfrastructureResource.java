package dev.rerankqueue.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Starts a real Kafka broker and a real redis-server once per test JVM and points the Quarkus app
 * under test at them. Tests reach both through {@link #kafka()} and {@link #redis()}.
 */
public class InfrastructureResource implements QuarkusTestResourceLifecycleManager {

    private static KafkaBroker kafka;
    private static RedisServerProcess redis;

    @Override
    public synchronized Map<String, String> start() {
        if (kafka == null) {
            kafka = KafkaBroker.start();
        }
        if (redis == null) {
            redis = new RedisServerProcess().start();
        }
        return Map.of(
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "quarkus.redis.hosts", redis.url());
    }

    @Override
    public synchronized void stop() {
        if (redis != null) {
            redis.close();
            redis = null;
        }
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    public static KafkaBroker kafka() {
        return kafka;
    }

    public static RedisServerProcess redis() {
        return redis;
    }
}
