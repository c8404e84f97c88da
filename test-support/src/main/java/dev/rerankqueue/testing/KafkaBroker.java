package dev.rerankqueue.testing;

import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.messaging.Topics;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A real single-node KRaft Kafka broker inside the test JVM, with the service's topics created as
 * in production.
 */
public final class KafkaBroker implements AutoCloseable {

    /**
     * Partitions of the jobs topic in tests: more than one, so ordering and rebalances are
     * exercised.
     */
    public static final int JOB_PARTITIONS = 4;

    private final EmbeddedKafkaBroker broker;
    private final KafkaCompanion companion;

    private KafkaBroker(EmbeddedKafkaBroker broker) {
        this.broker = broker;
        this.companion = new KafkaCompanion(broker.getAdvertisedListeners());
    }

    public static KafkaBroker start() {
        EmbeddedKafkaBroker broker =
                new EmbeddedKafkaBroker()
                        .withDeleteLogDirsOnClose(true)
                        .withAdditionalProperties(
                                p -> {
                                    p.put("group.initial.rebalance.delay.ms", "0");
                                    p.put("auto.create.topics.enable", "false");
                                    p.put("log.cleaner.dedupe.buffer.size", "8388608");
                                    p.put(
                                            "message.max.bytes",
                                            Integer.toString(Topics.MAX_RECORD_BYTES));
                                })
                        .start();
        KafkaBroker kafka = new KafkaBroker(broker);
        kafka.createTopics();
        return kafka;
    }

    private void createTopics() {
        companion.topics().create(newTopics(JOB_PARTITIONS));
    }

    /** Creates the jobs topics of {@code pool} (see {@link ModelPool}), as a setup does. */
    public void createPool(ModelPool pool) {
        companion.topics().create(newTopics(JOB_PARTITIONS, pool));
    }

    /**
     * The topics as {@link Topics#declared() declared}, on one broker, with {@code jobPartitions}
     * for those that scale with the job partitions.
     */
    public static List<NewTopic> newTopics(int jobPartitions) {
        return newTopics(jobPartitions, ModelPool.DEFAULT_POOL);
    }

    /**
     * As {@link #newTopics(int)}, the topics of {@code pool} ({@link Topics#declared(ModelPool)}).
     */
    public static List<NewTopic> newTopics(int jobPartitions, ModelPool pool) {
        return Topics.declared(pool).stream()
                .map(
                        t ->
                                new NewTopic(t.name(), t.partitions(jobPartitions), (short) 1)
                                        .configs(t.configs()))
                .toList();
    }

    public String bootstrapServers() {
        return broker.getAdvertisedListeners();
    }

    /**
     * Every record on {@code topic} right now, read from the beginning to the end offsets of all
     * partitions.
     */
    public List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        return readAll(bootstrapServers(), topic);
    }

    /** As {@link #readAll(String)}, on any broker. */
    public static List<ConsumerRecord<String, byte[]>> readAll(
            String bootstrapServers, String topic) {
        Map<String, Object> props =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        "false");
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 10_000;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException(
                            "could not read " + topic + " to its end offsets " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    /**
     * A reader of {@code topic} positioned at its end now, before anything the test does next; no
     * consumer group, so no rebalance delay.
     */
    public Tail tail(String topic) {
        return new Tail(bootstrapServers(), topic);
    }

    /** Records appended to a topic after {@link #tail(String)} was called. */
    public static final class Tail implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();

        Tail(String bootstrap, String topic) {
            consumer =
                    new KafkaConsumer<>(
                            Map.of(
                                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    bootstrap,
                                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                                    "false"),
                            new StringDeserializer(),
                            new ByteArrayDeserializer());
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
        }

        /** The first new record matching {@code test}, waiting up to {@code timeout}. */
        public ConsumerRecord<String, byte[]> await(
                Predicate<ConsumerRecord<String, byte[]>> test, Duration timeout) {
            long end = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < end) {
                for (ConsumerRecord<String, byte[]> r : seen) {
                    if (test.test(r)) {
                        return r;
                    }
                }
                consumer.poll(Duration.ofMillis(50)).forEach(seen::add);
            }
            throw new AssertionError("no matching record within " + timeout);
        }

        @Override
        public void close() {
            consumer.close();
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
