package dev.rerankqueue.worker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The worker's Kafka settings as written: shared ones once at the connector level, and the ones a
 * result's durability rests on never left to the connector's defaults (its producers default to
 * acks=1, which also turns idempotence off).
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

    @Test
    void resultsAndDeadLettersWaitForEveryInSyncReplica() throws Exception {
        Properties p = settings();
        assertEquals("all", p.getProperty("mp.messaging.connector.smallrye-kafka.acks"));
        for (String channel : List.of("results-out", "dlq-out")) {
            String own = p.getProperty("mp.messaging.outgoing." + channel + ".acks");
            assertTrue(own == null || own.equals("all"), channel + " acks=" + own);
        }
    }

    @Test
    void bothLanesShareOneConsumerConfigurationAndNameOnlyTheirTopic() throws Exception {
        Properties p = settings();
        for (String channel : List.of("jobs", "jobs-batch")) {
            List<String> own =
                    p.stringPropertyNames().stream()
                            .filter(k -> k.startsWith("mp.messaging.incoming." + channel + "."))
                            .toList();
            assertEquals(List.of("mp.messaging.incoming." + channel + ".topic"), own);
        }
        assertEquals(
                "rerank-workers", p.getProperty("mp.messaging.connector.smallrye-kafka.group.id"));
    }
}
