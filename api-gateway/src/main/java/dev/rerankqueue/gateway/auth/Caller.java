package dev.rerankqueue.gateway.auth;

import jakarta.enterprise.context.RequestScoped;

/**
 * Who is calling: the tenant that owns the jobs this request creates and may read. Set by {@link
 * ApiKeyFilter}.
 */
@RequestScoped
public class Caller {

    private String tenant;
    private boolean warmup;

    public String tenant() {
        if (tenant == null) {
            throw new IllegalStateException("no caller: the request was not authenticated");
        }
        return tenant;
    }

    /**
     * Whether this is one of a starting gateway's own warm-up requests ({@link WarmupKey}): its
     * refusal is not a client's.
     */
    public boolean warmup() {
        return warmup;
    }

    void set(String tenant) {
        this.tenant = tenant;
    }

    void setWarmup() {
        this.tenant = WarmupKey.TENANT;
        this.warmup = true;
    }
}
