package dev.rerankqueue.worker.config;

import dev.rerankqueue.messaging.ModelPool;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Every metric of the worker carries its model pool ({@code pool} label), so that dashboards and
 * alerts tell the workers of one model from another's, as the gateway's backlog gauges do.
 */
public class PoolMetricsTag {

    @Produces
    @Singleton
    MeterFilter poolTag(WorkerConfig config) {
        return MeterFilter.commonTags(List.of(Tag.of("pool", ModelPool.of(config.pool()).name())));
    }
}
