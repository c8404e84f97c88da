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

/**
 * Enforces {@code rerank.limits.max-body-size} with a problem+json 413: before the body is read
 * when the client declares a Content-Length, and after reading otherwise (chunked uploads).
 */
@ApplicationScoped
public class BodyLimit {

    private final long limit;

    public BodyLimit(GatewayConfig config) {
        this.limit = config.limits().maxBodySize().asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::checkDeclaredLength);
        router.route()
                .order(Integer.MIN_VALUE)
                .failureHandler(
                        ctx -> {
                            if (ctx.statusCode() == 413 && !ctx.response().headWritten()) {
                                reject(ctx, -1);
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

    private void checkDeclaredLength(RoutingContext ctx) {
        String declared = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (declared != null) {
            try {
                long length = Long.parseLong(declared.trim());
                if (length > limit) {
                    reject(ctx, length);
                    return;
                }
            } catch (NumberFormatException e) {
                // a malformed Content-Length is rejected by the HTTP server itself
            }
        }
        ctx.next();
    }

    private void reject(RoutingContext ctx, long length) {
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
