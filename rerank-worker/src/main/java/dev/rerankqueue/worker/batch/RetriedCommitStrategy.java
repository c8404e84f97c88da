package dev.rerankqueue.worker.batch;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaConnectorIncomingConfiguration;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.smallrye.reactive.messaging.kafka.commit.ContextHolder;
import io.smallrye.reactive.messaging.kafka.commit.KafkaCommitHandler;
import io.smallrye.reactive.messaging.kafka.commit.KafkaThrottledLatestProcessedCommit;
import io.vertx.core.Context;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * The connector's throttled commit strategy (commit, every {@code auto.commit.interval.ms}, each
 * partition's offset up to its oldest record not yet acknowledged), with failed commits retried.
 * The throttled strategy forgets the offsets of a commit that failed, so they are committed only
 * with the partition's next record; a partition that stays quiet after a rebalance or a broker
 * restart keeps, for as long as it stays quiet, a backlog of jobs that were scored long ago. Here
 * the offsets of a failed commit are kept ({@link OwedOffsets}) and committed again at the same
 * interval, on the polling thread, for the partitions this consumer still holds and only where the
 * group's committed offset is behind them: never backwards. Used with {@code
 * mp.messaging.incoming.<channel>.commit-strategy=throttled-retried}.
 */
@ApplicationScoped
@Identifier(RetriedCommitStrategy.NAME)
public class RetriedCommitStrategy implements KafkaCommitHandler.Factory {

    /** The name a channel's {@code commit-strategy} gives. */
    public static final String NAME = "throttled-retried";

    private static final Logger LOG = Logger.getLogger(RetriedCommitStrategy.class);

    /** How long a retry may hold the polling thread, for each of its two calls to the broker. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(3);

    /** How long the handler waits for work it runs on the polling context (unused here). */
    private static final int CONTEXT_TIMEOUT_MS = 60_000;

    private final KafkaThrottledLatestProcessedCommit.Factory throttled =
            new KafkaThrottledLatestProcessedCommit.Factory();

    @Override
    public KafkaCommitHandler create(
            KafkaConnectorIncomingConfiguration config,
            Vertx vertx,
            KafkaConsumer<?, ?> consumer,
            BiConsumer<Throwable, Boolean> reportFailure) {
        OwedOffsets owed = new OwedOffsets();
        KafkaCommitHandler inner =
                throttled.create(config, vertx, recordingFailures(consumer, owed), reportFailure);
        long interval =
                config.config()
                        .getOptionalValue(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, Long.class)
                        .orElse(5000L);
        return new Handler(inner, owed, consumer, vertx, interval);
    }

    /**
     * {@code consumer}, but the offsets of each of its commits that fails are noted in {@code
     * owed}, and those of each that succeeds are settled there.
     */
    static KafkaConsumer<?, ?> recordingFailures(KafkaConsumer<?, ?> consumer, OwedOffsets owed) {
        InvocationHandler calls =
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(consumer, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("commit")
                            && args != null
                            && args.length == 1
                            && args[0] instanceof Map<?, ?> m) {
                        @SuppressWarnings("unchecked")
                        Map<TopicPartition, OffsetAndMetadata> offsets =
                                (Map<TopicPartition, OffsetAndMetadata>) m;
                        @SuppressWarnings("unchecked")
                        Uni<Void> commit = (Uni<Void>) result;
                        return commit.onItem()
                                .invoke(() -> owed.committed(offsets))
                                .onFailure()
                                .invoke(e -> owed.failed(offsets));
                    }
                    return result;
                };
        return (KafkaConsumer<?, ?>)
                Proxy.newProxyInstance(
                        KafkaConsumer.class.getClassLoader(),
                        new Class<?>[] {KafkaConsumer.class},
                        calls);
    }

    /**
     * The throttled handler, plus a timer that commits what is owed. A {@link ContextHolder}, as
     * the connector gives its handlers the polling context through that type; passed on to the
     * throttled handler.
     */
    private static final class Handler extends ContextHolder implements KafkaCommitHandler {

        private final KafkaCommitHandler inner;
        private final OwedOffsets owed;
        private final KafkaConsumer<Object, Object> consumer;
        private final Vertx vertx;
        private final long timer;
        private volatile boolean retrying;

        Handler(
                KafkaCommitHandler inner,
                OwedOffsets owed,
                KafkaConsumer<?, ?> consumer,
                Vertx vertx,
                long intervalMs) {
            super(vertx, CONTEXT_TIMEOUT_MS);
            this.inner = inner;
            this.owed = owed;
            @SuppressWarnings("unchecked")
            KafkaConsumer<Object, Object> typed = (KafkaConsumer<Object, Object>) consumer;
            this.consumer = typed;
            this.vertx = vertx;
            this.timer = vertx.setPeriodic(intervalMs, id -> retry());
        }

        @Override
        public void capture(Context context) {
            super.capture(context);
            if (inner instanceof ContextHolder holder) {
                holder.capture(context);
            }
        }

        private void retry() {
            Map<TopicPartition, Long> due = owed.snapshot();
            if (due.isEmpty() || retrying) {
                return;
            }
            retrying = true;
            Function<Consumer<Object, Object>, Map<TopicPartition, OffsetAndMetadata>> commit =
                    c -> commitBehind(c, due);
            consumer.runOnPollingThread(commit)
                    .subscribe()
                    .with(
                            committed -> {
                                retrying = false;
                                owed.settled(due);
                                if (!committed.isEmpty()) {
                                    LOG.infof(
                                            "committed again after a failed commit: %s", committed);
                                }
                            },
                            e -> {
                                retrying = false;
                                LOG.debugf("retried commit of %s failed: %s", due, e.toString());
                            });
        }

        @Override
        public <K, V> Multi<IncomingKafkaRecord<K, V>> decorateStream(
                Multi<IncomingKafkaRecord<K, V>> stream) {
            return inner.decorateStream(stream);
        }

        @Override
        public <K, V> Uni<IncomingKafkaRecord<K, V>> received(IncomingKafkaRecord<K, V> record) {
            return inner.received(record);
        }

        @Override
        public <K, V> Uni<Void> handle(IncomingKafkaRecord<K, V> record) {
            return inner.handle(record);
        }

        @Override
        public void partitionsAssigned(Collection<TopicPartition> partitions) {
            inner.partitionsAssigned(partitions);
        }

        @Override
        public void partitionsRevoked(Collection<TopicPartition> partitions) {
            owed.revoked(partitions);
            inner.partitionsRevoked(partitions);
        }

        @Override
        public void terminate(boolean graceful) {
            vertx.cancelTimer(timer);
            inner.terminate(graceful);
        }
    }

    /**
     * On the polling thread: commits each offset of {@code due} on a partition {@code c} still
     * holds whose committed offset is behind it; returns what it committed.
     */
    static Map<TopicPartition, OffsetAndMetadata> commitBehind(
            Consumer<?, ?> c, Map<TopicPartition, Long> due) {
        Map<TopicPartition, Long> held = new HashMap<>(due);
        held.keySet().retainAll(c.assignment());
        Map<TopicPartition, OffsetAndMetadata> behind = new HashMap<>();
        if (held.isEmpty()) {
            return behind;
        }
        Map<TopicPartition, OffsetAndMetadata> stored = c.committed(held.keySet(), CALL_TIMEOUT);
        held.forEach(
                (tp, offset) -> {
                    OffsetAndMetadata s = stored.get(tp);
                    if (s == null || s.offset() < offset) {
                        behind.put(tp, new OffsetAndMetadata(offset));
                    }
                });
        if (!behind.isEmpty()) {
            c.commitSync(behind, CALL_TIMEOUT);
        }
        return behind;
    }
}
