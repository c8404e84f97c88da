package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.gateway.auth.Caller;
import dev.rerankqueue.gateway.store.BatchStore;
import dev.rerankqueue.gateway.store.StoreException;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Answers an event-stream request for an unknown job (or batch) with a plain 404 problem before the
 * stream opens; once SSE headers are sent, a status code can no longer be changed.
 */
public class KnownJobFilter {

    private static final Pattern EVENTS = Pattern.compile("/v1/rerank/jobs/([^/]+)/events/?");
    private static final Pattern BATCH_EVENTS =
            Pattern.compile("/v1/rerank/batches/([^/]+)/(?:events|results)/?");

    private final JobFollower follower;
    private final Caller caller;
    private final BatchStore batches;
    private final KnownBatch known;

    public KnownJobFilter(
            JobFollower follower, Caller caller, BatchStore batches, KnownBatch known) {
        this.known = known;
        this.follower = follower;
        this.caller = caller;
        this.batches = batches;
    }

    @ServerRequestFilter(priority = Priorities.USER)
    public Uni<Void> rejectUnknownJob(ContainerRequestContext ctx) {
        if (!"GET".equals(ctx.getMethod())) {
            return Uni.createFrom().voidItem();
        }
        // the path as sent: an id with an encoded slash (..%2F..%2Fq) is one (unknown) id, not a
        // walk up the path
        String path = ctx.getUriInfo().getRequestUri().getRawPath();
        Matcher b = BATCH_EVENTS.matcher(path);
        if (b.matches()) {
            return batches.require(b.group(1), caller.tenant())
                    .invoke(known::set)
                    .replaceWithVoid();
        }
        Matcher m = EVENTS.matcher(path);
        if (!m.matches()) {
            return Uni.createFrom().voidItem();
        }
        String id = m.group(1);
        return follower.read(id, caller.tenant())
                .map(
                        state -> {
                            if (state == null) {
                                throw StoreException.jobNotFound(id);
                            }
                            return null;
                        });
    }
}
