package dev.rerankqueue.worker.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rerankqueue.messaging.Topics;
import dev.rerankqueue.testing.InfrastructureResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** Failed commits are kept and made good later, never moving a committed offset backwards. */
@QuarkusTest
@WithTestResource(InfrastructureResource.class)
class RetriedCommitStrategyTest {

    static final TopicPartition P0 = new TopicPartition(Topics.JOBS, 0);
    static final TopicPartition P1 = new TopicPartition(Topics.JOBS, 1);

    @Test
    void aFailedCommitIsOwedUntilACommitCoversIt() {
        OwedOffsets owed = new OwedOffsets();
        owed.failed(Map.of(P0, new OffsetAndMetadata(10), P1, new OffsetAndMetadata(4)));
        owed.failed(Map.of(P0, new OffsetAndMetadata(7))); // an older one failing late
        assertEquals(Map.of(P0, 10L, P1, 4L), owed.snapshot());

        owed.committed(Map.of(P0, new OffsetAndMetadata(9)));
        assertEquals(Map.of(P0, 10L, P1, 4L), owed.snapshot(), "9 does not cover 10");
        owed.committed(Map.of(P0, new OffsetAndMetadata(12)));
        assertEquals(Map.of(P1, 4L), owed.snapshot());

        owed.revoked(List.of(P1));
        assertTrue(owed.snapshot().isEmpty(), "a partition that left is another's to commit");
    }

    @Test
    void aRetryThatRacedANewerFailureKeepsTheNewer() {
        OwedOffsets owed = new OwedOffsets();
        owed.failed(Map.of(P0, new OffsetAndMetadata(10)));
        Map<TopicPartition, Long> retried = owed.snapshot();
        owed.failed(Map.of(P0, new OffsetAndMetadata(15)));
        owed.settled(retried);
        assertEquals(Map.of(P0, 15L), owed.snapshot());
    }

    @Test
    void theRetryCommitsOnlyHeldPartitionsAndNeverBackwards() {
        try (KafkaConsumer<String, byte[]> c =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                InfrastructureResource.kafka().bootstrapServers(),
                                ConsumerConfig.GROUP_ID_CONFIG,
                                "retried-commits-" + System.nanoTime(),
                                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                                false),
                        new StringDeserializer(),
                        new ByteArrayDeserializer())) {
            c.assign(List.of(P0));
            c.commitSync(Map.of(P0, new OffsetAndMetadata(5)));

            assertTrue(
                    RetriedCommitStrategy.commitBehind(c, Map.of(P0, 3L, P1, 9L)).isEmpty(),
                    "3 is behind the committed 5, and P1 is not this consumer's");
            assertEquals(5, committed(c, P0));

            assertEquals(
                    Map.of(P0, new OffsetAndMetadata(8)),
                    RetriedCommitStrategy.commitBehind(c, Map.of(P0, 8L)));
            assertEquals(8, committed(c, P0));
        }
    }

    private static long committed(KafkaConsumer<?, ?> c, TopicPartition tp) {
        return c.committed(Set.of(tp), Duration.ofSeconds(5)).get(tp).offset();
    }
}
