package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.store.JobStore;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.function.Function;

/**
 * Submissions that may repeat an earlier one, answered with the earlier job instead of a second:
 * with an {@code Idempotency-Key} (the same key and request give the job created the first time,
 * the key with another request a 422), and a sync call retried without one within {@code
 * rerank.sync.retry-window} (attached to the first call's job while that is queued, running or
 * succeeded). Both are bound to the job's id and a fingerprint of its validated request in {@link
 * IdempotencyKeys}, and both count in {@code rerank.jobs.replayed}.
 */
@ApplicationScoped
public class Replays {

    private final IdempotencyKeys keys;
    private final JobStore store;
    private final MeterRegistry metrics;

    public Replays(IdempotencyKeys keys, JobStore store, MeterRegistry metrics) {
        this.keys = keys;
        this.store = store;
        this.metrics = metrics;
    }

    /**
     * {@code job} under {@code idempotencyKey}: produced by {@code produce} when the key is new
     * (and the key released if that fails), else the key's earlier job.
     */
    Uni<AcceptedJob> keyed(
            RerankJob job,
            Endpoint endpoint,
            String idempotencyKey,
            Function<RerankJob, Uni<AcceptedJob>> produce) {
        String key = IdempotencyKeys.check(idempotencyKey);
        IdempotencyKeys.Binding ours = bindingOf(job);
        return keys.claim(job.tenant(), key, ours)
                .chain(
                        earlier ->
                                earlier == null
                                        ? produceOrRelease(job, key, ours, produce)
                                        : replayKeyed(earlier, ours, endpoint));
    }

    private Uni<AcceptedJob> produceOrRelease(
            RerankJob job,
            String key,
            IdempotencyKeys.Binding ours,
            Function<RerankJob, Uni<AcceptedJob>> produce) {
        return produce.apply(job)
                .onFailure()
                .call(() -> keys.release(job.tenant(), key, ours).onFailure().recoverWithNull());
    }

    private Uni<AcceptedJob> replayKeyed(
            IdempotencyKeys.Binding earlier, IdempotencyKeys.Binding ours, Endpoint endpoint) {
        if (!earlier.fingerprint().equals(ours.fingerprint())) {
            return Uni.createFrom().failure(RefusedException.idempotencyKeyReused(earlier.jobId()));
        }
        return store.find(earlier.jobId())
                .map(
                        state -> {
                            if (state == null) {
                                // the first request has claimed the key but Kafka has not
                                // acknowledged its job yet
                                throw RefusedException.idempotencyInProgress(earlier.jobId());
                            }
                            return replayed(state, endpoint.tag());
                        });
    }

    /**
     * A sync call's {@code job} without a key: attached to the same tenant's identical call within
     * {@code window}, or produced by {@code produce}.
     */
    Uni<AcceptedJob> syncRetry(
            RerankJob job, Duration window, Function<RerankJob, Uni<AcceptedJob>> produce) {
        IdempotencyKeys.Binding ours = bindingOf(job);
        return keys.claimSyncRetry(job.tenant(), ours, window)
                .chain(
                        earlier ->
                                earlier == null
                                        ? produce.apply(job)
                                        : attachOrRebind(job, ours, earlier, window, produce));
    }

    private Uni<AcceptedJob> attachOrRebind(
            RerankJob job,
            IdempotencyKeys.Binding ours,
            IdempotencyKeys.Binding earlier,
            Duration window,
            Function<RerankJob, Uni<AcceptedJob>> produce) {
        return store.find(earlier.jobId())
                .chain(
                        state -> {
                            if (attachable(state, job)) {
                                return Uni.createFrom().item(replayed(state, "sync-retry"));
                            }
                            // the first call's job ended without a result (or is still being
                            // accepted): this call gets its own
                            return keys.rebindSyncRetry(job.tenant(), ours, window)
                                    .chain(() -> produce.apply(job));
                        });
    }

    /**
     * Whether {@code retry} may wait on {@code state}'s job for its answer: the same tenant's, and
     * succeeded, running, or queued with time left to start (the retry's request is the first
     * call's, so it carries the same deadline); a job still queued past its deadline ends expired,
     * never scored.
     */
    private static boolean attachable(JobState state, RerankJob retry) {
        if (state == null || !retry.tenant().equals(state.tenant())) {
            return false;
        }
        Long deadlineMs = retry.request().deadlineMs();
        return switch (state.status()) {
            case SUCCEEDED, RUNNING -> true;
            case QUEUED ->
                    deadlineMs == null
                            || System.currentTimeMillis() < state.createdAt() + deadlineMs;
            default -> false;
        };
    }

    private AcceptedJob replayed(JobState state, String endpoint) {
        metrics.counter("rerank.jobs.replayed", "endpoint", endpoint).increment();
        return new AcceptedJob(state.id(), state.createdAt(), true);
    }

    private static IdempotencyKeys.Binding bindingOf(RerankJob job) {
        return new IdempotencyKeys.Binding(
                job.id(), IdempotencyKeys.sha256(JobCodec.toJson(job.request())));
    }
}
