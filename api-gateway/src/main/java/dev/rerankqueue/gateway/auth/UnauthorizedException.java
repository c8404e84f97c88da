package dev.rerankqueue.gateway.auth;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.List;

/** A request without a valid API key. Each factory is one stable problem {@code type}. */
public final class UnauthorizedException extends ApiException {

    private UnauthorizedException(
            int status,
            String slug,
            String title,
            String detail,
            String jobId,
            Duration retryAfter,
            List<Violation> errors) {
        super(status, slug, title, detail, jobId, retryAfter, errors);
    }

    public static UnauthorizedException unauthorized(String detail) {
        return new UnauthorizedException(
                401, "unauthorized", "API key required", detail, null, null, null);
    }
}
