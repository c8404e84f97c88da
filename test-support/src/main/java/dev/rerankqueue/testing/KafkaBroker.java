package dev.rerankqueue.testing;

import dev.rerankqueue.messaging.Topics;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;

import java.util.List;
import java.util.Map;

/** A real single-node KRaft Kafka broker inside the test JVM, with the service's topics created as in production. */
public final class KafkaBroker implements AutoCloseable {

    /** Partitions of the jobs topic in tests: more than one, so ordering and rebalances are exercised. */
    public static final int JOB_PARTITIONS = 4;

    private final EmbeddedKafkaBroker broker;
    private final KafkaCompanion companion;

    private KafkaBroker(EmbeddedKafkaBroker broker) {
        this.broker = broker;
        this.companion = new KafkaCompanion(broker.getAdvertisedListeners());
    }

    public static KafkaBroker start() {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker()
                .withDeleteLogDirsOnClose(true)
                .withAdditionalProperties(p -> {
                    p.put("group.initial.rebalance.delay.ms", "0");
                    p.put("auto.create.topics.enable", "false");
                    p.put("log.cleaner.dedupe.buffer.size", "8388608");
                    p.put("message.max.bytes", Integer.toString(Topics.MAX_RECORD_BYTES));
                })
                .start();
        KafkaBroker kafka = new KafkaBroker(broker);
        kafka.createTopics();
        return kafka;
    }

    private void createTopics() {
        String maxBytes = Integer.toString(Topics.MAX_RECORD_BYTES);
        companion.topics().create(List.of(
                new NewTopic(Topics.JOBS, JOB_PARTITIONS, (short) 1).configs(Map.of("max.message.bytes", maxBytes)),
                new NewTopic(Topics.JOBS_DLQ, 1, (short) 1).configs(Map.of("max.message.bytes", maxBytes)),
                new NewTopic(Topics.RESULTS, JOB_PARTITIONS, (short) 1).configs(Map.of("cleanup.policy", "compact"))));
    }

    public String bootstrapServers() {
        return broker.getAdvertisedListeners();
    }

    /** Every record on {@code topic} right now, read from the beginning to the end offsets of all partitions. */
    public List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 10_000;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end offsets " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    public KafkaCompanion companion() {
        return companion;
    }

    @Override
    public void close() {
        companion.close();
        broker.close();
    }
}
