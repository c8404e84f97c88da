package dev.rerankqueue.gateway.sse;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Marks every server-sent-event response so that a proxy in front of the gateway passes each event
 * on at once: {@code X-Accel-Buffering: no} (nginx and the ingress-nginx controller buffer
 * responses otherwise, and a job's events would arrive together at the end) and {@code
 * Cache-Control: no-cache}. Set when the headers are written, so it covers every SSE route,
 * whatever produced the stream.
 */
@ApplicationScoped
public class SseProxyHeaders {

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(this::markEventStreams);
    }

    private void markEventStreams(RoutingContext ctx) {
        ctx.addHeadersEndHandler(
                v -> {
                    String type = ctx.response().headers().get(HttpHeaders.CONTENT_TYPE);
                    if (type != null && type.startsWith("text/event-stream")) {
                        ctx.response().putHeader("X-Accel-Buffering", "no");
                        ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
                    }
                });
        ctx.next();
    }
}
