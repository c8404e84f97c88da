package dev.rerankqueue.gateway.auth;

import jakarta.enterprise.context.RequestScoped;

/**
 * Who is calling: the tenant that owns the jobs this request creates and may read. Set by {@link
 * ApiKeyFilter}.
 */
@RequestScoped
public class Caller {

    private String tenant;

    public String tenant() {
        if (tenant == null) {
            throw new IllegalStateException("no caller: the request was not authenticated");
        }
        return tenant;
    }

    void set(String tenant) {
        this.tenant = tenant;
    }
}
