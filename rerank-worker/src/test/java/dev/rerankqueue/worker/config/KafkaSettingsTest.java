package dev.rerankqueue.worker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The worker's Kafka settings as written: the batch lane takes every setting of the interactive
 * lane by reference, nothing is set at the connector level (such keys reach the producers too, and
 * cost 40 % of the worker's throughput in bench/run.sh efficiency), and the settings a result's
 * durability rests on are never left to the connector's defaults (its producers default to acks=1,
 * which also turns idempotence off).
 */
class KafkaSettingsTest {

    static Properties settings() throws Exception {
        Properties p = new Properties();
        try (InputStream in =
                KafkaSettingsTest.class.getResourceAsStream("/application.properties")) {
            p.load(in);
        }
        return p;
    }

    /** A value with one level of {@code ${key}} reference resolved. */
    static String resolved(Properties p, String key) {
        String v = p.getProperty(key);
        if (v != null && v.startsWith("${") && v.endsWith("}")) {
            return p.getProperty(v.substring(2, v.length() - 1));
        }
        return v;
    }

    @Test
    void resultsAndDeadLettersWaitForEveryInSyncReplica() throws Exception {
        Properties p = settings();
        for (String channel : List.of("results-out", "dlq-out")) {
            assertEquals("all", resolved(p, "mp.messaging.outgoing." + channel + ".acks"), channel);
        }
    }

    @Test
    void theBatchLaneAndTheOverflowTopicsTakeEverySettingOfTheInteractiveLane() throws Exception {
        Properties p = settings();
        Set<String> interactive = keys(p, "mp.messaging.incoming.jobs.");
        for (String channel : List.of("jobs-batch", "jobs-overflow", "jobs-batch-overflow")) {
            Set<String> keys = keys(p, "mp.messaging.incoming." + channel + ".");
            assertEquals(interactive, keys, channel);
            for (String key : keys) {
                if (!key.equals("topic")) {
                    assertEquals(
                            "${mp.messaging.incoming.jobs." + key + "}",
                            p.getProperty("mp.messaging.incoming." + channel + "." + key),
                            channel + " " + key);
                }
            }
        }
        assertEquals(Set.of(), keys(p, "mp.messaging.connector."), "no connector-level keys");
    }

    private static Set<String> keys(Properties p, String prefix) {
        return p.stringPropertyNames().stream()
                .filter(k -> k.startsWith(prefix))
                .map(k -> k.substring(prefix.length()))
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
