package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.List;

/**
 * A request the gateway cannot read or take as it is: malformed JSON, invalid fields, a body over
 * the size limit. Each factory is one stable problem {@code type}.
 */
public final class RequestException extends ApiException {

    private RequestException(
            int status,
            String slug,
            String title,
            String detail,
            String jobId,
            Duration retryAfter,
            List<Violation> errors) {
        super(status, slug, title, detail, jobId, retryAfter, errors);
    }

    public static RequestException malformed(String detail) {
        return new RequestException(
                400, "malformed-json", "Malformed JSON", detail, null, null, null);
    }

    public static RequestException invalid(List<Violation> errors) {
        String detail =
                errors.size() == 1
                        ? errors.get(0).toString()
                        : errors.size()
                                + " problems: "
                                + String.join(
                                        "; ", errors.stream().map(Violation::toString).toList());
        return new RequestException(
                422, "invalid-request", "Invalid rerank request", detail, null, null, errors);
    }

    public static RequestException tooLarge(long size, long limit) {
        return new RequestException(
                413,
                "body-too-large",
                "Request body too large",
                "the body has "
                        + (size < 0 ? "more than " + limit : Long.toString(size))
                        + " bytes; the limit is "
                        + limit
                        + " (rerank.limits.max-body-size). Split the documents over several jobs.",
                null,
                null,
                null);
    }
}
