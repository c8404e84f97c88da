package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.admission.RefusedException;
import dev.rerankqueue.gateway.config.GatewayConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where a request body is parsed. A small one is parsed where it arrived, on its event loop; one of
 * {@link #OFF_LOOP_BYTES} or more (a 2.5 MB body of 500,000 {@code rank_fields} takes about 100 ms
 * of CPU to parse and refuse) on a worker thread, so the event loop it arrived on keeps answering
 * the other connections it serves instead of holding them behind the parse. One tenant's large
 * bodies are parsed {@code rerank.limits.max-large-bodies-per-tenant} at a time on one gateway, the
 * rest waiting their turn in arrival order; past {@code
 * rerank.limits.max-large-bodies-waiting-per-tenant} waiting, the next is refused (429) unparsed. A
 * tenant sending large bodies back to back thus holds that many threads' worth of CPU, not the
 * gateway's, and a burst of ordinary large requests waits its turn instead of being refused.
 */
@ApplicationScoped
public class LargeBodies {

    /** Bodies of this many bytes or more are parsed off the event loop. */
    static final int OFF_LOOP_BYTES = 64 * 1024;

    private final Vertx vertx;
    private final int atOnce;
    private final int maxWaiting;

    /** Each tenant's large bodies being parsed and waiting; guarded by itself. */
    private final Map<String, Turns> tenants = new HashMap<>();

    /** One tenant's parses: how many run, and the ones waiting, in arrival order. */
    private static final class Turns {
        int running;
        final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    }

    @Inject
    public LargeBodies(Vertx vertx, GatewayConfig config) {
        this(
                vertx,
                config.limits().maxLargeBodiesPerTenant(),
                config.limits().maxLargeBodiesWaitingPerTenant());
    }

    LargeBodies(Vertx vertx, int atOnce, int maxWaiting) {
        this.vertx = vertx;
        this.atOnce = Math.max(1, atOnce);
        this.maxWaiting = Math.max(0, maxWaiting);
    }

    /**
     * Runs {@code handler} (the route's parse, mapping and validation, returning what then waits on
     * Kafka and Redis) for {@code tenant}'s {@code body}: at once when the body is small, otherwise
     * on a worker thread in the tenant's turn. The turn is held while the handler runs, not while
     * what it returns waits.
     */
    public <T> Uni<T> handle(String tenant, byte[] body, Supplier<Uni<T>> handler) {
        if (body == null || body.length < OFF_LOOP_BYTES) {
            return handler.get();
        }
        return Uni.createFrom()
                .<Uni<T>>emitter(
                        em -> {
                            Context context = Vertx.currentContext();
                            Context on = context != null ? context : vertx.getOrCreateContext();
                            Runnable parse =
                                    () ->
                                            on.<Uni<T>>executeBlocking(
                                                            () -> {
                                                                try {
                                                                    return handler.get();
                                                                } finally {
                                                                    next(tenant);
                                                                }
                                                            },
                                                            false)
                                                    .onComplete(
                                                            r -> {
                                                                if (r.succeeded()) {
                                                                    em.complete(r.result());
                                                                } else {
                                                                    em.fail(r.cause());
                                                                }
                                                            });
                            if (!enter(tenant, parse)) {
                                em.fail(refused(tenant));
                            }
                        })
                .chain(next -> next);
    }

    /**
     * Runs {@code parse} now or queues it for the tenant's next turn; false when its queue is full.
     */
    private boolean enter(String tenant, Runnable parse) {
        synchronized (tenants) {
            Turns turns = tenants.computeIfAbsent(tenant, t -> new Turns());
            if (turns.running >= atOnce) {
                if (turns.waiting.size() >= maxWaiting) {
                    return false;
                }
                turns.waiting.add(parse);
                return true;
            }
            turns.running++;
        }
        parse.run();
        return true;
    }

    /** A parse of {@code tenant} ended: its turn goes to the next waiting, if any. */
    private void next(String tenant) {
        Runnable waiting;
        synchronized (tenants) {
            Turns turns = tenants.get(tenant);
            waiting = turns.waiting.poll();
            if (waiting == null) {
                turns.running--;
                if (turns.running == 0) {
                    tenants.remove(tenant);
                }
            }
        }
        if (waiting != null) {
            waiting.run();
        }
    }

    private RefusedException refused(String tenant) {
        return RefusedException.quotaExceeded(
                "rerank.limits.max-large-bodies-waiting-per-tenant",
                "tenant "
                        + tenant
                        + " has "
                        + atOnce
                        + " request bodies of "
                        + OFF_LOOP_BYTES / 1024
                        + " KB or more being parsed on this gateway and "
                        + maxWaiting
                        + " waiting their turn (rerank.limits.max-large-bodies-per-tenant)",
                Duration.ofSeconds(1));
    }
}
