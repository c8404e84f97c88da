package dev.rerankqueue.gateway.auth;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every API request when {@code rerank.api-keys} is set: {@code Authorization: Bearer
 * <key>} (or {@code X-API-Key}) names the tenant; anything else is a 401 problem. Every resource of
 * the API needs a key, whatever its path spells ({@code /q/../v1/...} is {@code /v1/...}); health,
 * metrics and the API description under {@code /q/} are not resources of the API and are served
 * without this filter. Without keys configured, every caller is {@code rerank.default-tenant}. A
 * starting gateway's own warm-up requests carry {@link WarmupKey}'s credential, which is retired
 * before the gateway reports ready.
 */
public class ApiKeyFilter {

    private final TenantDirectory tenants;
    private final Caller caller;
    private final WarmupKey warmup;

    public ApiKeyFilter(TenantDirectory tenants, Caller caller, WarmupKey warmup) {
        this.tenants = tenants;
        this.caller = caller;
        this.warmup = warmup;
    }

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public void authenticate(ContainerRequestContext ctx) {
        String key = bearer(ctx.getHeaderString("Authorization"));
        if (key == null) {
            key = ctx.getHeaderString("X-API-Key");
        }
        if (warmup.matches(key)) {
            caller.setWarmup();
            return;
        }
        if (!tenants.authRequired()) {
            caller.set(tenants.defaultTenant());
            return;
        }
        if (key == null || key.isBlank()) {
            throw UnauthorizedException.unauthorized(
                    "this API needs a key: send Authorization: Bearer <key>");
        }
        caller.set(
                tenants.tenantOf(key.trim())
                        .orElseThrow(
                                () ->
                                        UnauthorizedException.unauthorized(
                                                "the API key is not valid")));
    }

    /**
     * The token of an {@code Authorization: Bearer <token>} header, or null when the header is not
     * one.
     */
    static String bearer(String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        return h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
    }
}
