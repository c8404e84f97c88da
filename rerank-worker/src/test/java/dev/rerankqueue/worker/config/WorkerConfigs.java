package dev.rerankqueue.worker.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;

/**
 * The worker's settings read by SmallRye Config's builder, as the worker reads them (its mapping,
 * its defaults, Quarkus's duration format), without starting the application: {@code values}, then
 * system properties and environment variables, over the defaults.
 */
public final class WorkerConfigs {

    private WorkerConfigs() {}

    public static WorkerConfig read(Map<String, String> values) {
        return new SmallRyeConfigBuilder()
                .addDefaultSources()
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(WorkerConfig.class)
                .withDefaultValues(values)
                .build()
                .getConfigMapping(WorkerConfig.class);
    }
}
