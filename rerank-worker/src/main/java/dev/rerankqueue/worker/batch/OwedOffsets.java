package dev.rerankqueue.worker.batch;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Offsets of one consumer whose commit failed and that no later commit has covered yet: the next
 * offset to read, per partition. A failed commit (a rebalance in progress, the group coordinator
 * moving) is otherwise only made good by the next commit of the same partition, which comes only
 * when a new record there is processed; on a partition that then stays quiet, jobs already scored
 * would count as waiting for as long as it does (the gateway refuses new jobs on that backlog, and
 * an autoscaler keeps workers for it). Thread-safe.
 */
final class OwedOffsets {

    private final Map<TopicPartition, Long> owed = new HashMap<>();

    /** A commit of {@code offsets} failed: each is owed unless a higher one already is. */
    synchronized void failed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> owed.merge(tp, o.offset(), Math::max));
    }

    /** A commit of {@code offsets} succeeded: what it covers is no longer owed. */
    synchronized void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> settled(tp, o.offset()));
    }

    /**
     * {@code done} was dealt with (committed, found committed already, or its partition no longer
     * this consumer's): no longer owed, unless a higher offset failed since.
     */
    synchronized void settled(Map<TopicPartition, Long> done) {
        done.forEach(this::settled);
    }

    /** The partitions left this consumer: another consumer commits them from now on. */
    synchronized void revoked(Collection<TopicPartition> partitions) {
        partitions.forEach(owed::remove);
    }

    /** What is owed now. */
    synchronized Map<TopicPartition, Long> snapshot() {
        return new HashMap<>(owed);
    }

    private void settled(TopicPartition tp, long offset) {
        Long current = owed.get(tp);
        if (current != null && current <= offset) {
            owed.remove(tp);
        }
    }
}
