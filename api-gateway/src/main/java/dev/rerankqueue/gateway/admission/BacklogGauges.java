package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.admission.PoolBacklog.Offered;
import dev.rerankqueue.job.Priority;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;

/**
 * The gauges of a {@link PoolBacklog}: the backlog per lane, its drain and the capacity, tagged
 * with the pool.
 */
final class BacklogGauges {

    private BacklogGauges() {}

    static void register(PoolBacklog admission, MeterRegistry metrics) {
        Tags pool = Tags.of("pool", admission.pool.name());
        for (Priority lane : Priority.values()) {
            Gauge.builder(
                            "rerank.backlog.jobs",
                            admission,
                            a -> a.fresh() ? a.laneBacklog(lane) : Double.NaN)
                    .tags(pool.and("lane", lane.wireName()))
                    .description(
                            "Jobs on the lane's topic not yet committed by the workers' consumer group")
                    .baseUnit("jobs")
                    .register(metrics);
            Gauge.builder("rerank.backlog.pairs", admission, a -> a.laneWork(lane, Offered::pairs))
                    .tags(pool.and("lane", lane.wireName()))
                    .baseUnit("pairs")
                    .description(
                            "Estimated (query, document) pairs waiting in the lane: its jobs times the mean pairs per job"
                                    + " this gateway has been offered")
                    .register(metrics);
            Gauge.builder(
                            "rerank.backlog.tokens",
                            admission,
                            a -> a.laneWork(lane, Offered::tokens))
                    .tags(pool.and("lane", lane.wireName()))
                    .description(
                            "Estimated tokens charged for the jobs waiting in the lane: its jobs times the mean charged"
                                    + " tokens per job this gateway has been offered")
                    .register(metrics);
            Gauge.builder(
                            "rerank.backlog.wait",
                            admission,
                            a ->
                                    a.estimatedWait(lane)
                                            .map(Duration::toMillis)
                                            .map(ms -> ms / 1000.0)
                                            .orElse(Double.NaN))
                    .tags(pool.and("lane", lane.wireName()))
                    .description(
                            "Estimated wait of a new job of the lane at the measured drain rate")
                    .baseUnit("seconds")
                    .register(metrics);
        }
        Gauge.builder(
                        "rerank.backlog.drain.rate",
                        admission,
                        a -> a.estimate.rate().orElse(Double.NaN))
                .tags(pool)
                .description("Jobs per second the workers commit while there is a backlog")
                .register(metrics);
        Gauge.builder("rerank.workers.capacity", admission, a -> a.announced.pairsPerSecond())
                .tags(pool)
                .baseUnit("pairs")
                .description(
                        "Pairs per second the workers announce they score (sum over fresh announcements)")
                .register(metrics);
        Gauge.builder(
                        "rerank.workers.capacity.tokens",
                        admission,
                        a -> a.announced.tokensPerSecond())
                .tags(pool)
                .description(
                        "Charged tokens per second the workers announce they score (sum over fresh announcements"
                                + " that carry tokens)")
                .register(metrics);
    }
}
