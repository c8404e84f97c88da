package dev.rerankqueue.gateway.sse;

import dev.rerankqueue.gateway.api.ApiException;
import dev.rerankqueue.gateway.auth.Caller;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answers an event-stream request for an unknown job with a plain 404 problem before the stream opens; once SSE
 * headers are sent, a status code can no longer be changed.
 */
public class KnownJobFilter {

    private static final Pattern EVENTS = Pattern.compile("/v1/rerank/jobs/([^/]+)/events/?");

    private final JobFollower follower;
    private final Caller caller;

    public KnownJobFilter(JobFollower follower, Caller caller) {
        this.follower = follower;
        this.caller = caller;
    }

    @ServerRequestFilter(priority = jakarta.ws.rs.Priorities.USER)
    public Uni<Void> rejectUnknownJob(ContainerRequestContext ctx) {
        Matcher m = EVENTS.matcher(ctx.getUriInfo().getPath());
        if (!"GET".equals(ctx.getMethod()) || !m.matches()) {
            return Uni.createFrom().voidItem();
        }
        String id = m.group(1);
        return follower.read(id, caller.tenant()).map(state -> {
            if (state == null) {
                throw ApiException.jobNotFound(id);
            }
            return null;
        });
    }
}
