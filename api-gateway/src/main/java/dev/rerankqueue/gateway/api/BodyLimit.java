package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.Problem;
import dev.rerankqueue.messaging.JobCodec;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;

/**
 * Enforces {@code rerank.limits.max-body-size} with a problem+json 413: before the body is read
 * when the client declares a Content-Length, and after reading otherwise (chunked uploads).
 */
@ApplicationScoped
public class BodyLimit {

    /** The request attribute holding the byte cap of a streamed request body. */
    static final String TRANSPORT_LIMIT = "io.quarkus.max-request-size";

    private final long limit;
    private final long uploadLimit;

    public BodyLimit(GatewayConfig config) {
        this.limit = config.limits().maxBodySize().asLongValue();
        this.uploadLimit = config.limits().maxUploadSize().asLongValue();
    }

    /** Whether a request is a JSON Lines upload, which is read as it arrives line by line. */
    static boolean isJsonLines(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return BatchSubmissionResource.JSON_LINES_TYPES.contains(type);
    }

    void install(@Observes Router router) {
        // after the transport's own handler, which sets the cap of a streamed body to its own
        router.route().order(Integer.MIN_VALUE + 1).handler(this::checkDeclaredLength);
        router.route()
                .order(Integer.MIN_VALUE)
                .failureHandler(
                        ctx -> {
                            if (ctx.statusCode() == 413 && !ctx.response().headWritten()) {
                                reject(ctx, -1, limit);
                            } else {
                                ctx.next();
                            }
                        });
    }

    /** Throws a 413 {@link ApiException} if a body read in full is over the limit. */
    public void check(byte[] body) {
        if (body != null && body.length > limit) {
            throw RequestException.tooLarge(body.length, limit);
        }
    }

    /**
     * Whether a request is read as a stream: a JSON Lines upload to the one route that reads one.
     * The route decides, never the client's Content-Type alone: a JSON Lines type sent to any other
     * route is buffered whole, under the buffered cap.
     */
    static boolean isUpload(String path, String contentType) {
        if (path == null || !isJsonLines(contentType)) {
            return false;
        }
        String p = path.replace("%3A", ":").replace("%3a", ":");
        return p.equals(BatchSubmissionResource.PATH)
                || p.equals(BatchSubmissionResource.PATH + "/");
    }

    private void checkDeclaredLength(RoutingContext ctx) {
        boolean upload =
                isUpload(ctx.request().path(), ctx.request().getHeader(HttpHeaders.CONTENT_TYPE));
        // the REST layer reads a body up to this request attribute: a JSON Lines upload is read
        // as a stream, a line at a time, up to its own cap; every other body is buffered whole,
        // so a chunked one is cut off at four times the documented limit
        ctx.put(TRANSPORT_LIMIT, upload ? uploadLimit : 4 * limit);
        String declared = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (declared != null) {
            try {
                long length = Long.parseLong(declared.trim());
                if (length > (upload ? uploadLimit : limit)) {
                    reject(ctx, length, upload ? uploadLimit : limit);
                    return;
                }
            } catch (NumberFormatException e) {
                // a malformed Content-Length is rejected by the HTTP server itself
            }
        }
        ctx.next();
    }

    private void reject(RoutingContext ctx, long length, long limit) {
        ApiException e = RequestException.tooLarge(length, limit);
        Problem p =
                new Problem(
                        "/problems/" + e.slug(),
                        e.title(),
                        413,
                        e.getMessage(),
                        ctx.request().path(),
                        null,
                        null);
        ctx.response()
                .setStatusCode(413)
                .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(JobCodec.toJson(p));
    }
}
