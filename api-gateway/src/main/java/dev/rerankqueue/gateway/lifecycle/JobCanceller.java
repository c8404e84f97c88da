package dev.rerankqueue.gateway.lifecycle;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.sse.JobFollower;
import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.gateway.store.StoreException;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.store.JobStateChanges;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Cancels a queued or running job of the caller's tenant. Idempotent: cancelling a cancelled job
 * answers its state again. A worker scoring the job finds the state changed when it writes, and
 * discards its result.
 */
@ApplicationScoped
public class JobCanceller {

    private final JobStore store;
    private final JobFollower follower;
    private final GatewayConfig config;
    private final MeterRegistry metrics;

    public JobCanceller(
            JobStore store, JobFollower follower, GatewayConfig config, MeterRegistry metrics) {
        this.store = store;
        this.follower = follower;
        this.config = config;
        this.metrics = metrics;
    }

    public Uni<JobState> cancel(String id, String tenant) {
        return follower.read(id, tenant)
                .chain(
                        state -> {
                            if (state == null) {
                                return Uni.createFrom().failure(StoreException.jobNotFound(id));
                            }
                            if (state.status().isTerminal()) {
                                return Uni.createFrom().item(settled(state));
                            }
                            return store.apply(
                                            JobStateChanges.cancelledByClient(
                                                    id,
                                                    System.currentTimeMillis(),
                                                    config.results().retention()))
                                    .invoke(
                                            o -> {
                                                if (o.applied()) {
                                                    metrics.counter("rerank.jobs.cancelled")
                                                            .increment();
                                                }
                                            })
                                    .chain(() -> follower.read(id, tenant))
                                    .map(this::settled);
                        });
    }

    private JobState settled(JobState state) {
        if (state.status() != JobStatus.CANCELLED) {
            throw JobAlreadyFinishedException.notCancellable(state.id(), state.status().wireName());
        }
        return state;
    }
}
