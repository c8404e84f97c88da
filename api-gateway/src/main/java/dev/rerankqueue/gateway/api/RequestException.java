package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.ApiException.Facts;
import dev.rerankqueue.gateway.problem.ApiException.Kind;
import dev.rerankqueue.job.Violation;
import java.time.Duration;
import java.util.List;

/**
 * A request the gateway cannot read or take as it is: malformed JSON, invalid fields, a body over
 * the size limit. Each factory is one stable problem {@code type}.
 */
public final class RequestException extends ApiException {

    private RequestException(Kind kind, String detail, Facts facts) {
        super(kind, detail, facts);
    }

    public static RequestException malformed(String detail) {
        return new RequestException(
                new Kind(400, "malformed-json", "Malformed JSON"), detail, Facts.NONE);
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
                new Kind(422, "invalid-request", "Invalid rerank request"),
                detail,
                Facts.errors(errors));
    }

    /**
     * A JSON Lines upload whose client sent slower than {@code minBytesPerSecond} while the gateway
     * waited on it: it held a thread for too little.
     */
    public static RequestException uploadTooSlow(
            long bytes, Duration waited, long minBytesPerSecond) {
        return new RequestException(
                new Kind(408, "upload-too-slow", "Upload too slow"),
                "the upload sent "
                        + bytes
                        + " bytes in the last "
                        + waited.toSeconds()
                        + " s the gateway waited on it, under the rerank.limits.upload-min-rate of "
                        + minBytesPerSecond
                        + " bytes/s; the lines read before were submitted: resend the rest with the"
                        + " same Idempotency-Key",
                Facts.NONE);
    }

    public static RequestException tooLarge(long size, long limit) {
        return new RequestException(
                new Kind(413, "body-too-large", "Request body too large"),
                "the body has "
                        + (size < 0 ? "more than " + limit : Long.toString(size))
                        + " bytes; the limit is "
                        + limit
                        + " (rerank.limits.max-body-size). Split the documents over several jobs.",
                Facts.NONE);
    }
}
