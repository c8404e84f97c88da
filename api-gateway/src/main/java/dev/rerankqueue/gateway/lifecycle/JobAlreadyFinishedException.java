package dev.rerankqueue.gateway.lifecycle;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.ApiException.Facts;
import dev.rerankqueue.gateway.problem.ApiException.Kind;

/**
 * A cancel of a job that already reached a terminal state. Each factory is one stable problem
 * {@code type}.
 */
public final class JobAlreadyFinishedException extends ApiException {

    private JobAlreadyFinishedException(Kind kind, String detail, Facts facts) {
        super(kind, detail, facts);
    }

    public static JobAlreadyFinishedException notCancellable(String jobId, String status) {
        return new JobAlreadyFinishedException(
                new Kind(409, "job-already-finished", "Job already finished"),
                "job "
                        + jobId
                        + " already "
                        + status
                        + "; only queued or running jobs can be cancelled",
                Facts.aboutJob(jobId));
    }
}
