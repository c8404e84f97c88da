package dev.rerankqueue.gateway.auth;

import dev.rerankqueue.gateway.config.GatewayConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/** Which tenant an API key belongs to, from {@code rerank.api-keys}; parsed once at start-up. */
@ApplicationScoped
public class TenantDirectory {

    private final ApiKeys keys;
    private final String defaultTenant;
    private final boolean required;
    private final boolean severalTenants;

    public TenantDirectory(GatewayConfig config) {
        this.keys = ApiKeys.parse(config.apiKeys().orElse(List.of()));
        this.defaultTenant = config.defaultTenant();
        this.required = config.authRequired();
        this.severalTenants = keys.tenantCount() > 1;
    }

    /**
     * Fails start-up on a malformed entry, or on no keys while authentication is required, before
     * the gateway serves anything.
     */
    void onStart(@Observes StartupEvent ev) {
        if (keys.isEmpty() && required) {
            throw new IllegalStateException(
                    "no API keys configured (rerank.api-keys, env RERANK_API_KEYS=tenant:key,...) "
                            + "while rerank.auth.required is true: set the keys, or set RERANK_AUTH_REQUIRED=false to run without "
                            + "authentication, every caller one tenant");
        }
        Logger.getLogger(TenantDirectory.class)
                .infof(
                        keys.isEmpty()
                                ? "no API keys configured: authentication is off, every caller is tenant '%s'"
                                : "API keys configured: every API call needs one",
                        defaultTenant);
    }

    public boolean authRequired() {
        return !keys.isEmpty();
    }

    /**
     * Whether callers may belong to more than one tenant: API keys name two or more (with none,
     * every caller is the default tenant).
     */
    public boolean severalTenants() {
        return severalTenants;
    }

    public String defaultTenant() {
        return defaultTenant;
    }

    public Optional<String> tenantOf(String key) {
        return keys.tenantOf(key);
    }
}
