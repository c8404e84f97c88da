package dev.rerankqueue.gateway.auth;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.problem.Problem;
import dev.rerankqueue.messaging.JobCodec;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Who may read {@code /q/metrics} on the public port. Metrics name tenants' traffic, backlog and
 * refusals, so with API keys on they need the scrape token ({@code rerank.metrics.token}, sent as
 * {@code Authorization: Bearer}); without a token configured they are refused unless {@code
 * rerank.metrics.open=true} says otherwise. With authentication off (a local stack) they are open,
 * like the API. Health stays open for probes: it says ready or not, nothing of tenants.
 *
 * <p>Quarkus' separate management port would do this by network instead, but it is a build-time
 * choice, and the local stack serves everything on one port.
 */
@ApplicationScoped
public class MetricsAccess {

    private final TenantDirectory tenants;
    private final Optional<byte[]> token;
    private final boolean open;

    public MetricsAccess(TenantDirectory tenants, GatewayConfig config) {
        this.tenants = tenants;
        this.token =
                config.metrics()
                        .token()
                        .filter(t -> !t.isBlank())
                        .map(t -> t.trim().getBytes(StandardCharsets.UTF_8));
        this.open = config.metrics().open();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(this::check);
    }

    private void check(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        if (!path.startsWith("/q/metrics") || open || !tenants.authRequired() || presented(ctx)) {
            ctx.next();
            return;
        }
        String why =
                token.isPresent()
                        ? "metrics need the scrape token (rerank.metrics.token): send Authorization: Bearer <token>"
                        : "metrics are closed while API keys are on: set rerank.metrics.token for the scraper, or rerank.metrics.open=true";
        Problem p =
                new Problem(
                        "/problems/unauthorized",
                        "Unauthorized",
                        401,
                        why,
                        ctx.request().path(),
                        null,
                        null);
        ctx.response()
                .setStatusCode(401)
                .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .putHeader("WWW-Authenticate", "Bearer")
                .end(JobCodec.toJson(p));
    }

    private boolean presented(RoutingContext ctx) {
        if (token.isEmpty()) {
            return false;
        }
        String presented = ApiKeyFilter.bearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
        return presented != null
                && MessageDigest.isEqual(token.get(), presented.getBytes(StandardCharsets.UTF_8));
    }
}
