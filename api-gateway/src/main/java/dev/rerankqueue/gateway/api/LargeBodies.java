package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.admission.RefusedException;
import dev.rerankqueue.gateway.config.GatewayConfig;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
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
 * rerank.limits.max-large-bodies-waiting-per-tenant} bodies or {@code
 * rerank.limits.max-large-bodies-waiting-bytes-per-tenant} bytes waiting, the next is refused (429)
 * unparsed. A tenant sending large bodies back to back thus holds that many threads' worth of CPU
 * and a bounded share of the heap, not the gateway's, and a burst of ordinary large requests waits
 * its turn instead of being refused. A waiting body whose caller went away (the connection closed,
 * which cancels the route's result) leaves the queue unparsed and frees its bytes.
 */
@ApplicationScoped
public class LargeBodies {

    /** Bodies of this many bytes or more are parsed off the event loop. */
    static final int OFF_LOOP_BYTES = 64 * 1024;

    private final Vertx vertx;
    private final int atOnce;
    private final int maxWaiting;
    private final long maxWaitingBytes;

    /** Each tenant's large bodies being parsed and waiting; guarded by itself. */
    private final Map<String, Turns> tenants = new HashMap<>();

    /** One tenant's parses: how many run, and the ones waiting (with their bytes), in order. */
    private static final class Turns {
        int running;
        long waitingBytes;
        final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    }

    /** A body waiting for its turn: its size and what parses it. */
    private record Waiting(long bytes, Runnable parse) {}

    /** Why a body was not let in: none (it runs or waits), or the limit it would pass. */
    private enum Entry {
        IN,
        TOO_MANY,
        TOO_MANY_BYTES
    }

    @Inject
    public LargeBodies(Vertx vertx, GatewayConfig config) {
        this(
                vertx,
                config.limits().maxLargeBodiesPerTenant(),
                config.limits().maxLargeBodiesWaitingPerTenant(),
                config.limits().maxLargeBodiesWaitingBytesPerTenant().asLongValue());
    }

    LargeBodies(Vertx vertx, int atOnce, int maxWaiting, long maxWaitingBytes) {
        this.vertx = vertx;
        this.atOnce = Math.max(1, atOnce);
        this.maxWaiting = Math.max(0, maxWaiting);
        this.maxWaitingBytes = Math.max(0, maxWaitingBytes);
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
                            Waiting turn =
                                    new Waiting(
                                            body.length, () -> parseOn(on, tenant, handler, em));
                            // the caller went away while its body waited: it leaves the queue
                            em.onTermination(() -> leave(tenant, turn));
                            Entry entry = enter(tenant, turn);
                            if (entry != Entry.IN) {
                                em.fail(refused(tenant, entry));
                            }
                        })
                .chain(next -> next);
    }

    private <T> void parseOn(
            Context on, String tenant, Supplier<Uni<T>> handler, UniEmitter<? super Uni<T>> em) {
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
    }

    /** Runs {@code turn} now or queues it for the tenant's next turn, unless a limit is passed. */
    private Entry enter(String tenant, Waiting turn) {
        synchronized (tenants) {
            Turns turns = tenants.computeIfAbsent(tenant, t -> new Turns());
            if (turns.running >= atOnce) {
                if (turns.waiting.size() >= maxWaiting) {
                    return Entry.TOO_MANY;
                }
                if (turns.waitingBytes + turn.bytes() > maxWaitingBytes) {
                    return Entry.TOO_MANY_BYTES;
                }
                turns.waiting.add(turn);
                turns.waitingBytes += turn.bytes();
                return Entry.IN;
            }
            turns.running++;
        }
        turn.parse().run();
        return Entry.IN;
    }

    /** {@code turn}'s caller is gone or answered: if it still waits, it leaves unparsed. */
    private void leave(String tenant, Waiting turn) {
        synchronized (tenants) {
            Turns turns = tenants.get(tenant);
            if (turns != null && turns.waiting.remove(turn)) {
                turns.waitingBytes -= turn.bytes();
            }
        }
    }

    /** A parse of {@code tenant} ended: its turn goes to the next waiting, if any. */
    private void next(String tenant) {
        Waiting waiting;
        synchronized (tenants) {
            Turns turns = tenants.get(tenant);
            waiting = turns.waiting.poll();
            if (waiting == null) {
                turns.running--;
                if (turns.running == 0) {
                    tenants.remove(tenant);
                }
            } else {
                turns.waitingBytes -= waiting.bytes();
            }
        }
        if (waiting != null) {
            waiting.parse().run();
        }
    }

    private RefusedException refused(String tenant, Entry entry) {
        String waiting =
                entry == Entry.TOO_MANY_BYTES
                        ? "up to "
                                + (maxWaitingBytes >= 1 << 20
                                        ? maxWaitingBytes / (1 << 20) + " MB"
                                        : maxWaitingBytes / 1024 + " KB")
                                + " of them waiting their turn"
                        : maxWaiting + " waiting their turn";
        return RefusedException.quotaExceeded(
                entry == Entry.TOO_MANY_BYTES
                        ? "rerank.limits.max-large-bodies-waiting-bytes-per-tenant"
                        : "rerank.limits.max-large-bodies-waiting-per-tenant",
                "tenant "
                        + tenant
                        + " has "
                        + atOnce
                        + " request bodies of "
                        + OFF_LOOP_BYTES / 1024
                        + " KB or more being parsed on this gateway and "
                        + waiting
                        + " (rerank.limits.max-large-bodies-per-tenant)",
                Duration.ofSeconds(1));
    }
}
