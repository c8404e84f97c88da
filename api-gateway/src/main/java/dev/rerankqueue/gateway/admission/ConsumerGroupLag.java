package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.job.Priority;
import dev.rerankqueue.messaging.ModelPool;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * A pool's workers' consumer-group lag on its jobs topics (each lane's own and its overflow), read
 * with Kafka's admin client: per lane, end offsets minus committed offsets (the figure KEDA scales
 * on), and the group's position (the sum of its committed offsets), whose growth over time is the
 * drain rate. A partition the group has not committed on counts from its earliest offset, where a
 * consumer without a commit starts ({@code auto.offset.reset=earliest}).
 */
final class ConsumerGroupLag implements AutoCloseable {

    /**
     * One reading: jobs not yet committed per lane, in its own topic and in its overflow topic, and
     * the group's position.
     */
    record Reading(ModelPool pool, Map<String, Long> lag, long position) {
        long of(Priority lane) {
            return lag.getOrDefault(pool.jobs(lane), 0L);
        }

        long overflowOf(Priority lane) {
            return lag.getOrDefault(pool.overflow(lane), 0L);
        }
    }

    private static final long PARTITIONS_FRESH_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** A pool's jobs topics' partitions, and when they were described. */
    private record Partitions(List<TopicPartition> all, long readAt) {}

    private final Admin admin;
    private final Map<ModelPool, Partitions> partitions = new HashMap<>();

    ConsumerGroupLag(Map<String, Object> kafkaConfig) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "rerank-gateway-backlog");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        this.admin = Admin.create(props);
    }

    /**
     * Reads the lag of {@code group} on the jobs topics of {@code pool} now (a few admin calls of
     * at most 5 s each); from one thread at a time.
     */
    Reading read(ModelPool pool, String group) throws Exception {
        List<TopicPartition> all = partitions(pool);
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata()
                        .get(5, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (TopicPartition tp : all) {
            latest.put(tp, OffsetSpec.latest());
            if (committed.get(tp) == null) {
                earliest.put(tp, OffsetSpec.earliest());
            }
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts =
                earliest.isEmpty()
                        ? Map.of()
                        : admin.listOffsets(earliest).all().get(5, TimeUnit.SECONDS);
        Map<String, Long> lag = new HashMap<>();
        long position = 0;
        for (TopicPartition tp : all) {
            OffsetAndMetadata c = committed.get(tp);
            long at = c != null ? c.offset() : starts.get(tp).offset();
            lag.merge(tp.topic(), Math.max(0, ends.get(tp).offset() - at), Long::sum);
            position += at;
        }
        return new Reading(pool, lag, position);
    }

    /**
     * The pool's jobs topics' partitions, described again once a minute (partitions may be added).
     */
    private List<TopicPartition> partitions(ModelPool pool) throws Exception {
        long now = System.nanoTime();
        Partitions known = partitions.get(pool);
        if (known == null
                || known.all().isEmpty()
                || now - known.readAt() > PARTITIONS_FRESH_NANOS) {
            // a topic not created yet (an overflow topic of an older setup) holds no backlog
            Map<String, TopicDescription> described = new HashMap<>();
            for (Map.Entry<String, KafkaFuture<TopicDescription>> topic :
                    admin.describeTopics(pool.jobTopics()).topicNameValues().entrySet()) {
                try {
                    described.put(topic.getKey(), topic.getValue().get(5, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
            }
            known =
                    new Partitions(
                            described.values().stream()
                                    .flatMap(
                                            d ->
                                                    d.partitions().stream()
                                                            .map(
                                                                    p ->
                                                                            new TopicPartition(
                                                                                    d.name(),
                                                                                    p.partition())))
                                    .toList(),
                            now);
            partitions.put(pool, known);
        }
        return known.all();
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
