package dev.rerankqueue.gateway.problem;

import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.List;

/**
 * A failure with a known HTTP meaning, raised where the gateway decides it (admission, the store,
 * authentication, ...; each subclass lives with its concept) and turned into an RFC 9457 problem by
 * the HTTP layer. Every instance is one stable problem {@code type}.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String slug;
    private final String title;
    private final String jobId;
    private final Duration retryAfter;
    private final transient List<Violation> errors;

    protected ApiException(
            int status,
            String slug,
            String title,
            String detail,
            String jobId,
            Duration retryAfter,
            List<Violation> errors) {
        super(detail);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.jobId = jobId;
        this.retryAfter = retryAfter;
        this.errors = errors;
    }

    /** The problem+json body of this failure; {@code instance} is the request path, or null. */
    public Problem problem(String instance) {
        return new Problem(
                "/problems/" + slug, title, status, getMessage(), instance, jobId, errors);
    }

    /**
     * {@code Retry-After} in whole seconds, rounded up and at least 1; null when the failure has
     * none.
     */
    public Long retryAfterSeconds() {
        return retryAfter == null ? null : Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }

    public int status() {
        return status;
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    public String jobId() {
        return jobId;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    public List<Violation> errors() {
        return errors;
    }
}
