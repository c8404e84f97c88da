package dev.rerankqueue.gateway.admission;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.config.Quotas;
import dev.rerankqueue.job.Priority;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The lanes each tenant may submit to ({@code rerank.quotas.lanes}, per tenant {@code
 * rerank.quotas.tenant."<tenant>".lanes}), read once at start-up: a lane name that is not one stops
 * the gateway, naming the key. The client picks a job's lane; this decides whether it may.
 */
@ApplicationScoped
public class LanePermissions {

    private final Set<Priority> defaults;
    private final Map<String, Set<Priority>> perTenant = new HashMap<>();

    @Inject
    public LanePermissions(GatewayConfig config) {
        this(config.quotas());
    }

    LanePermissions(Quotas quotas) {
        this.defaults = parse("rerank.quotas.lanes", quotas.lanes());
        quotas.tenant()
                .forEach(
                        (tenant, q) ->
                                q.lanes()
                                        .ifPresent(
                                                lanes ->
                                                        perTenant.put(
                                                                tenant,
                                                                parse(
                                                                        "rerank.quotas.tenant.\""
                                                                                + tenant
                                                                                + "\".lanes",
                                                                        lanes))));
    }

    /** Builds this bean at start-up, so a misspelt lane stops the gateway before it serves. */
    void onStart(@Observes StartupEvent ev) {
        defaults.size();
    }

    /** Refuses (403 {@code lane-not-allowed}) a job of {@code tenant} on a lane it may not use. */
    public void check(String tenant, Priority lane) {
        Set<Priority> own = perTenant.get(tenant);
        Set<Priority> allowed = own != null ? own : defaults;
        if (!allowed.contains(lane)) {
            throw RefusedException.laneNotAllowed(tenant, lane, allowed, own != null);
        }
    }

    static Set<Priority> parse(String key, List<String> names) {
        Set<Priority> lanes = EnumSet.noneOf(Priority.class);
        for (String name : names) {
            String n = name.trim();
            if (n.isEmpty()) {
                continue;
            }
            try {
                lanes.add(Priority.fromWire(n));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(
                        key + " names the lane \"" + n + "\"; the lanes are interactive and batch");
            }
        }
        if (lanes.isEmpty()) {
            throw new IllegalStateException(
                    key + " allows no lane; name interactive, batch or both");
        }
        return lanes;
    }
}
