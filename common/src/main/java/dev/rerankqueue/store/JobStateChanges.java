package dev.rerankqueue.store;

import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import java.time.Duration;
import java.util.Map;

/**
 * Every change of a job's state that gateway and worker make, one named method each, so the life of
 * a job reads as its steps: {@link #queued accepted}, {@link #startProcessing claimed}, {@link
 * #succeeded} or {@link #failed}, or {@link #expired}, {@link #cancelledByClient cancelled}, {@link
 * #requeuedForTakeOver taken over} after a worker died, {@link #restored} from the results topic.
 * Each returns the compare-and-set {@link JobTransition} to run; the caller may still narrow it
 * with {@link JobTransition#expectVersion}.
 */
public final class JobStateChanges {

    private JobStateChanges() {}

    /** Accepted: the gateway records the job as queued, unless any state exists already. */
    public static JobTransition queued(RerankJob job, Duration retention) {
        return queued(job, retention, 0);
    }

    /**
     * As {@link #queued(RerankJob, Duration)}, with the start predicted for it (epoch ms; 0 when
     * none was known).
     */
    public static JobTransition queued(RerankJob job, Duration retention, long predictedStartAt) {
        Map<String, String> fields = JobFields.initial(job);
        if (predictedStartAt > 0) {
            fields.put(JobFields.PREDICTED_START_AT, Long.toString(predictedStartAt));
        }
        return JobTransition.create(job.id(), JobStatus.QUEUED, fields)
                .retainFor(job.retentionOr(retention));
    }

    /**
     * Refused after its record may have been sent (the queue did not acknowledge in time): marked
     * cancelled so that a worker that still receives the record never scores it. Only while no
     * worker has it: a job found running or finished got to the queue after all, and the write
     * loses (its outcome names that status).
     */
    public static JobTransition neverToRun(
            RerankJob job, long now, String reason, Duration retention) {
        return JobTransition.to(job.id(), JobStatus.CANCELLED)
                .onlyFrom(JobStatus.QUEUED)
                .orCreateWith(JobFields.initial(job))
                .set(JobFields.FINISHED_AT, now)
                .set(JobFields.ERROR, reason)
                .retainFor(retention);
    }

    /** Cancelled by its client while queued or running. */
    public static JobTransition cancelledByClient(String jobId, long now, Duration retention) {
        return JobTransition.to(jobId, JobStatus.CANCELLED)
                .set(JobFields.FINISHED_AT, now)
                .set(JobFields.ERROR, "cancelled by the client")
                .retainFor(retention);
    }

    /**
     * Claimed by {@code worker} at {@code now}: running, with a fresh attempt. Creates the state if
     * the gateway's queued write never landed.
     */
    public static JobTransition startProcessing(
            RerankJob job, String worker, long now, Duration retention) {
        return JobTransition.to(job.id(), JobStatus.RUNNING)
                .set(JobFields.STARTED_AT, now)
                .set(JobFields.WORKER, worker)
                .set(JobFields.SCORED_PAIRS, 0)
                .orCreateWith(JobFields.initial(job))
                .retainFor(job.retentionOr(retention));
    }

    /**
     * Its deadline passed before scoring started (still queued, or claimed and waiting for a scorer
     * slot: then with the claim's version expected): expired, never scored.
     */
    public static JobTransition expired(RerankJob job, long now, Duration retention) {
        return JobTransition.to(job.id(), JobStatus.EXPIRED)
                .set(JobFields.FINISHED_AT, now)
                .set(
                        JobFields.ERROR,
                        "deadline of "
                                + job.request().deadlineMs()
                                + " ms passed before scoring started")
                .orCreateWith(JobFields.initial(job))
                .retainFor(job.retentionOr(retention));
    }

    /**
     * Redelivered while marked running at {@code runningVersion} (its worker died or lost the
     * partition): back to queued through the retry edge, so that a slow original can no longer
     * write its result and the new claim can start.
     */
    public static JobTransition requeuedForTakeOver(
            RerankJob job, long runningVersion, Duration retention) {
        return JobTransition.to(job.id(), JobStatus.QUEUED)
                .expectVersion(runningVersion)
                .retainFor(job.retentionOr(retention));
    }

    /**
     * Scored: succeeded with {@code result}, if the job is still at the version its claim wrote.
     * Created whole if Redis lost the job while it was scored (a flush, a failover).
     */
    public static JobTransition succeeded(
            RerankJob job,
            long claimedVersion,
            String worker,
            long startedAt,
            long now,
            JobResult result,
            Duration retention) {
        return JobTransition.to(job.id(), JobStatus.SUCCEEDED)
                .expectVersion(claimedVersion)
                .orCreateWith(JobFields.initial(job))
                .set(JobFields.STARTED_AT, startedAt)
                .set(JobFields.WORKER, worker)
                .set(JobFields.FINISHED_AT, now)
                .set(JobFields.MODEL, result.model())
                .set(JobFields.RESULT, JobCodec.encodeResult(result))
                .retainFor(job.retentionOr(retention));
    }

    /** Failed for {@code reason}, if the job is still at the version its claim wrote. */
    public static JobTransition failed(
            RerankJob job, long claimedVersion, long now, String reason, Duration retention) {
        return JobTransition.to(job.id(), JobStatus.FAILED)
                .expectVersion(claimedVersion)
                .orCreateWith(JobFields.initial(job))
                .set(JobFields.FINISHED_AT, now)
                .set(JobFields.ERROR, reason)
                .retainFor(job.retentionOr(retention));
    }

    /**
     * A terminal state written back as it was (from the results topic, or from what this worker
     * wrote before Redis lost it), over no state or an older one that is not terminal (Redis came
     * back without the writes after it); a no-op over a terminal state or a newer one.
     */
    public static JobTransition restored(JobState state, Duration retention) {
        return JobTransition.restore(
                        state.id(), state.status(), JobFields.restoring(state), state.version())
                .retainFor(retention);
    }
}
