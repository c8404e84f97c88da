package dev.rerankqueue.worker.config;

import dev.rerankqueue.job.Priority;
import dev.rerankqueue.messaging.ModelPool;
import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Points the worker's Kafka channels at the topics and consumer group of its model pool ({@code
 * rerank.worker.pool}), so that one key moves a worker to another pool. The names it gives rank
 * above {@code application.properties} and below environment variables and system properties: a
 * topic set there explicitly still wins. Nothing is given for the default pool, whose names are the
 * ones {@code application.properties} writes.
 */
public class PoolTopics implements ConfigSourceFactory {

    static final String KEY = "rerank.worker.pool";

    /** Above application.properties (250), below environment variables (300). */
    static final int ORDINAL = 260;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue value = context.getValue(KEY);
        ModelPool pool = ModelPool.of(value == null ? null : value.getValue());
        return pool.isDefault()
                ? List.of()
                : List.of(new PropertiesConfigSource(channels(pool), KEY, ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }

    /** The channel settings that put a worker in {@code pool}. */
    static Map<String, String> channels(ModelPool pool) {
        return Map.of(
                "mp.messaging.incoming.jobs.topic", pool.jobs(Priority.INTERACTIVE),
                "mp.messaging.incoming.jobs-batch.topic", pool.jobs(Priority.BATCH),
                "mp.messaging.incoming.jobs-overflow.topic", pool.overflow(Priority.INTERACTIVE),
                "mp.messaging.incoming.jobs-batch-overflow.topic", pool.overflow(Priority.BATCH),
                "mp.messaging.incoming.jobs.group.id", pool.group());
    }
}
