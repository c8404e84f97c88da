package dev.rerankqueue.worker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rerankqueue.job.Priority;
import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.messaging.Topics;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One key, {@code rerank.worker.pool}, moves a worker's four jobs channels and its consumer group
 * to its model pool's names ({@link ModelPool}), through the config source factory the worker
 * registers; a topic set explicitly (an environment variable, a system property) still wins, and
 * the default pool keeps application.properties' names.
 */
class PoolTopicsTest {

    private static final Map<String, String> APPLICATION_PROPERTIES =
            Map.of(
                    "mp.messaging.incoming.jobs.topic", Topics.JOBS,
                    "mp.messaging.incoming.jobs-batch.topic", Topics.JOBS_BATCH,
                    "mp.messaging.incoming.jobs-overflow.topic", Topics.JOBS_OVERFLOW,
                    "mp.messaging.incoming.jobs-batch-overflow.topic", Topics.JOBS_BATCH_OVERFLOW,
                    "mp.messaging.incoming.jobs.group.id", Topics.WORKER_GROUP);

    private static SmallRyeConfig config(Map<String, String> explicit) {
        return new SmallRyeConfigBuilder()
                .addDiscoveredSources() // the worker's META-INF/services registration
                .withSources(
                        new PropertiesConfigSource(APPLICATION_PROPERTIES, "application", 250),
                        new PropertiesConfigSource(explicit, "system", 400))
                .build();
    }

    @Test
    void aPoolNamesTheWorkersTopicsAndGroup() {
        ModelPool pool = ModelPool.of("qwen3-reranker-4b");
        SmallRyeConfig c = config(Map.of("rerank.worker.pool", pool.name()));
        assertEquals(
                pool.jobs(Priority.INTERACTIVE), c.getRawValue("mp.messaging.incoming.jobs.topic"));
        assertEquals(
                pool.jobs(Priority.BATCH), c.getRawValue("mp.messaging.incoming.jobs-batch.topic"));
        assertEquals(
                pool.overflow(Priority.INTERACTIVE),
                c.getRawValue("mp.messaging.incoming.jobs-overflow.topic"));
        assertEquals(
                pool.overflow(Priority.BATCH),
                c.getRawValue("mp.messaging.incoming.jobs-batch-overflow.topic"));
        assertEquals(pool.group(), c.getRawValue("mp.messaging.incoming.jobs.group.id"));
    }

    @Test
    void theDefaultPoolKeepsItsNamesAndAnExplicitTopicWins() {
        SmallRyeConfig none = config(Map.of());
        assertEquals(Topics.JOBS, none.getRawValue("mp.messaging.incoming.jobs.topic"));
        assertEquals(Topics.WORKER_GROUP, none.getRawValue("mp.messaging.incoming.jobs.group.id"));
        SmallRyeConfig explicit =
                config(
                        Map.of(
                                "rerank.worker.pool",
                                "second",
                                "mp.messaging.incoming.jobs.topic",
                                "my.jobs"));
        assertEquals("my.jobs", explicit.getRawValue("mp.messaging.incoming.jobs.topic"));
        assertEquals(
                "rerank.second.jobs.batch",
                explicit.getRawValue("mp.messaging.incoming.jobs-batch.topic"));
    }
}
