package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.job.Priority;
import dev.rerankqueue.messaging.Topics;
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
 * The workers' consumer-group lag on the jobs topics (each lane's own and its overflow), read with
 * Kafka's admin client: per lane, end offsets minus committed offsets (the figure KEDA scales on),
 * and the group's position (the sum of its committed offsets), whose growth over time is the drain
 * rate. A partition the group has not committed on counts from its earliest offset, where a
 * consumer without a commit starts ({@code auto.offset.reset=earliest}).
 */
final class ConsumerGroupLag implements AutoCloseable {

    /**
     * One reading: jobs not yet committed per lane, in its own topic and in its overflow topic, and
     * the group's position.
     */
    record Reading(Map<String, Long> lag, long position) {
        long of(Priority lane) {
            return lag.getOrDefault(Topics.jobs(lane), 0L);
        }

        long overflowOf(Priority lane) {
            return lag.getOrDefault(Topics.jobsOverflow(lane), 0L);
        }
    }

    private static final long PARTITIONS_FRESH_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Admin admin;
    private final String group;
    private List<TopicPartition> partitions = List.of();
    private long partitionsReadAt;

    ConsumerGroupLag(Map<String, Object> kafkaConfig, String group) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "rerank-gateway-backlog");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        this.admin = Admin.create(props);
        this.group = group;
    }

    /** Reads the lag now (a few admin calls of at most 5 s each); from one thread at a time. */
    Reading read() throws Exception {
        List<TopicPartition> all = partitions();
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
        return new Reading(lag, position);
    }

    /** The jobs topics' partitions, described again once a minute (partitions may be added). */
    private List<TopicPartition> partitions() throws Exception {
        long now = System.nanoTime();
        if (partitions.isEmpty() || now - partitionsReadAt > PARTITIONS_FRESH_NANOS) {
            // a topic not created yet (an overflow topic of an older setup) holds no backlog
            Map<String, TopicDescription> described = new HashMap<>();
            for (Map.Entry<String, KafkaFuture<TopicDescription>> topic :
                    admin.describeTopics(Topics.JOB_TOPICS).topicNameValues().entrySet()) {
                try {
                    described.put(topic.getKey(), topic.getValue().get(5, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
            }
            partitions =
                    described.values().stream()
                            .flatMap(
                                    d ->
                                            d.partitions().stream()
                                                    .map(
                                                            p ->
                                                                    new TopicPartition(
                                                                            d.name(),
                                                                            p.partition())))
                            .toList();
            partitionsReadAt = now;
        }
        return partitions;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
