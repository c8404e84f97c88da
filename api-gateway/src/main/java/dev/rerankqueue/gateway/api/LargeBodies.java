package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.admission.RefusedException;
import dev.rerankqueue.gateway.auth.TenantPlaces;
import dev.rerankqueue.gateway.config.GatewayConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Where a request body is parsed. A small one is parsed where it arrived, on its event loop; one of
 * {@link #OFF_LOOP_BYTES} or more (a 2.5 MB body of 500,000 {@code rank_fields} takes about 100 ms
 * of CPU to parse and refuse) on a worker thread, so the event loop it arrived on keeps answering
 * the other connections it serves instead of holding them behind the parse. A tenant parses at most
 * {@code rerank.limits.max-large-bodies-per-tenant} such bodies at once on one gateway; the next is
 * refused (429) without being parsed, so one tenant sending large bodies back to back holds a few
 * threads' worth of CPU, not the gateway's.
 */
@ApplicationScoped
public class LargeBodies {

    /** Bodies of this many bytes or more are parsed off the event loop. */
    static final int OFF_LOOP_BYTES = 64 * 1024;

    private final Vertx vertx;
    private final int perTenant;
    private final TenantPlaces parsing = new TenantPlaces();

    @Inject
    public LargeBodies(Vertx vertx, GatewayConfig config) {
        this(vertx, config.limits().maxLargeBodiesPerTenant());
    }

    LargeBodies(Vertx vertx, int perTenant) {
        this.vertx = vertx;
        this.perTenant = perTenant;
    }

    /**
     * Runs {@code handler} (the route's parse, mapping and validation, returning what then waits on
     * Kafka and Redis) for {@code tenant}'s {@code body}: at once when the body is small, otherwise
     * on a worker thread under the tenant's share of large bodies. The share is held while the
     * handler runs, not while what it returns waits.
     */
    public <T> Uni<T> handle(String tenant, byte[] body, Supplier<Uni<T>> handler) {
        if (body == null || body.length < OFF_LOOP_BYTES) {
            return handler.get();
        }
        return Uni.createFrom()
                .deferred(
                        () -> {
                            if (!parsing.take(tenant, perTenant)) {
                                return Uni.createFrom().failure(refused(tenant));
                            }
                            Context context = Vertx.currentContext();
                            Context on = context != null ? context : vertx.getOrCreateContext();
                            return Uni.createFrom()
                                    .completionStage(
                                            on.<Uni<T>>executeBlocking(
                                                            () -> {
                                                                try {
                                                                    return handler.get();
                                                                } finally {
                                                                    parsing.give(tenant);
                                                                }
                                                            },
                                                            false)
                                                    .toCompletionStage());
                        })
                .chain(next -> next);
    }

    private RefusedException refused(String tenant) {
        return RefusedException.quotaExceeded(
                "rerank.limits.max-large-bodies-per-tenant",
                "tenant "
                        + tenant
                        + " has "
                        + perTenant
                        + " request bodies of "
                        + OFF_LOOP_BYTES / 1024
                        + " KB or more being parsed on this gateway already",
                Duration.ofSeconds(1));
    }
}
