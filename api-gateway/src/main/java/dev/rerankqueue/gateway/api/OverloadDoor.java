package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.admission.JobSubmitter;
import dev.rerankqueue.gateway.api.dropin.DropInErrors;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.Problem;
import dev.rerankqueue.messaging.JobCodec;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashSet;
import java.util.Set;

/**
 * Refuses a submission with 503 {@code overloaded} before its body is read, while the gateway is at
 * its in-flight limit ({@link JobSubmitter#atLimit()}). The submission would be refused anyway once
 * parsed; refusing it at the door costs the event loops a header parse instead of a body read, a
 * JSON parse and a validation, so under a flood of thousands of connections the loops keep their
 * time for the submissions they did take, which then answer within the second instead of waiting
 * behind the refusals. Reads and every other route pass.
 */
@ApplicationScoped
public class OverloadDoor {

    /** The routes whose POST submits a job. */
    private static final Set<String> SUBMISSIONS = submissionPaths();

    private final JobSubmitter submitter;
    private final RejectionCounts rejections;

    public OverloadDoor(JobSubmitter submitter, RejectionCounts rejections) {
        this.submitter = submitter;
        this.rejections = rejections;
    }

    private static Set<String> submissionPaths() {
        Set<String> paths = new HashSet<>(DropInErrors.ROUTES);
        paths.add(JobResource.PATH);
        for (String p : Set.copyOf(paths)) {
            paths.add(p + "/");
        }
        return Set.copyOf(paths);
    }

    void install(@Observes Router router) {
        // right after the body cap (BodyLimit), before anything reads the body
        router.post().order(Integer.MIN_VALUE + 2).handler(this::refuseAtLimit);
    }

    private void refuseAtLimit(RoutingContext ctx) {
        String path = ctx.request().path();
        if (!submitter.atLimit() || !SUBMISSIONS.contains(path)) {
            ctx.next();
            return;
        }
        ApiException e = submitter.overloaded();
        rejections.count(e.slug());
        Problem p = e.problem(path);
        ctx.response()
                .setStatusCode(e.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, DropInErrors.mediaType(p))
                .putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(e.retryAfterSeconds()))
                .end(JobCodec.toJson(DropInErrors.body(p)));
    }
}
