package dev.rerankqueue.gateway.problem;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rerankqueue.job.Violation;
import java.util.List;

/**
 * An RFC 9457 problem detail, as every error of the API is sent ({@code application/problem+json}).
 *
 * @param type stable identifier of the kind of problem, a path under {@code /problems/}
 * @param title short summary of the kind
 * @param status the HTTP status
 * @param detail what went wrong this time and what to fix
 * @param instance the request path
 * @param jobId the job concerned, when there is one (for example a sync call that timed out)
 * @param errors one entry per invalid field
 * @param earliestDeadlineMs the shortest {@code deadline_ms} a job refused for its deadline could
 *     be accepted with now
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(
        String type,
        String title,
        int status,
        String detail,
        String instance,
        @JsonProperty("job_id") String jobId,
        List<Violation> errors,
        @JsonProperty("earliest_deadline_ms") Long earliestDeadlineMs) {

    public static final String MEDIA_TYPE = "application/problem+json";

    /** A problem with no deadline to suggest. */
    public Problem(
            String type,
            String title,
            int status,
            String detail,
            String instance,
            String jobId,
            List<Violation> errors) {
        this(type, title, status, detail, instance, jobId, errors, null);
    }
}
