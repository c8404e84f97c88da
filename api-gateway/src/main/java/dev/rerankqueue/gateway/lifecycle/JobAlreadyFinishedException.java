package dev.rerankqueue.gateway.lifecycle;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.List;

/**
 * A cancel of a job that already reached a terminal state. Each factory is one stable problem
 * {@code type}.
 */
public final class JobAlreadyFinishedException extends ApiException {

    private JobAlreadyFinishedException(
            int status,
            String slug,
            String title,
            String detail,
            String jobId,
            Duration retryAfter,
            List<Violation> errors) {
        super(status, slug, title, detail, jobId, retryAfter, errors);
    }

    public static JobAlreadyFinishedException notCancellable(String jobId, String status) {
        return new JobAlreadyFinishedException(
                409,
                "job-already-finished",
                "Job already finished",
                "job "
                        + jobId
                        + " already "
                        + status
                        + "; only queued or running jobs can be cancelled",
                jobId,
                null,
                null);
    }
}
