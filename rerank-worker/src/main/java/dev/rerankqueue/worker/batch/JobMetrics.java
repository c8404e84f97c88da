package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.Priority;
import dev.rerankqueue.job.RerankJob;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * What the worker counts about jobs, per lane: finished jobs by terminal status, end-to-end time,
 * queue wait, records per Kafka batch. Every series is registered at start (exported as 0), so
 * ratios and alerts see it before the first job.
 */
@ApplicationScoped
public class JobMetrics {

    /**
     * Latency objectives users set for reranking: histogram buckets at these bounds, so SLO ratios
     * are exact.
     */
    static final Duration[] SLO_BUCKETS = {
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofMinutes(1),
        Duration.ofMinutes(5)
    };

    private final Map<Priority, Map<JobStatus, Counter>> finished = new EnumMap<>(Priority.class);
    private final Map<Priority, Map<JobStatus, Timer>> endToEnd = new EnumMap<>(Priority.class);
    private final Map<Priority, Timer> queueWait = new EnumMap<>(Priority.class);
    private final DistributionSummary recordsPerBatch;

    public JobMetrics(MeterRegistry metrics) {
        for (Priority lane : Priority.values()) {
            Map<JobStatus, Counter> counters = new EnumMap<>(JobStatus.class);
            Map<JobStatus, Timer> timers = new EnumMap<>(JobStatus.class);
            for (JobStatus s : JobStatus.values()) {
                if (s.isTerminal()) {
                    counters.put(
                            s,
                            metrics.counter(
                                    "rerank.jobs.finished",
                                    "lane",
                                    lane.wireName(),
                                    "status",
                                    s.wireName()));
                    timers.put(
                            s,
                            Timer.builder("rerank.job.end.to.end")
                                    .description("Time from acceptance to the job's terminal state")
                                    .tag("lane", lane.wireName())
                                    .tag("status", s.wireName())
                                    .serviceLevelObjectives(SLO_BUCKETS)
                                    .register(metrics));
                }
            }
            finished.put(lane, counters);
            endToEnd.put(lane, timers);
            queueWait.put(
                    lane,
                    Timer.builder("rerank.job.queue.wait")
                            .description("Time from acceptance to the start of scoring")
                            .tag("lane", lane.wireName())
                            .publishPercentileHistogram()
                            .serviceLevelObjectives(SLO_BUCKETS)
                            .register(metrics));
        }
        this.recordsPerBatch =
                DistributionSummary.builder("rerank.kafka.batch.records")
                        .description("Records per Kafka poll batch")
                        .publishPercentileHistogram()
                        .register(metrics);
    }

    void batchPolled(int records) {
        recordsPerBatch.record(records);
    }

    void scoringStarted(RerankJob job, long now) {
        queueWait.get(job.lane()).record(Duration.ofMillis(Math.max(0, now - job.createdAt())));
    }

    /** A job expired before scoring: counted, with no end-to-end time. */
    void expired(RerankJob job) {
        finished.get(job.lane()).get(JobStatus.EXPIRED).increment();
    }

    /** A scored job reached {@code status}; returns its end-to-end time in milliseconds. */
    long finished(RerankJob job, JobStatus status) {
        long total = Math.max(0, System.currentTimeMillis() - job.createdAt());
        finished.get(job.lane()).get(status).increment();
        endToEnd.get(job.lane()).get(status).record(Duration.ofMillis(total));
        return total;
    }
}
