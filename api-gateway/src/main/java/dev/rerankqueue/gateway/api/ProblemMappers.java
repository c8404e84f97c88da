package dev.rerankqueue.gateway.api;

import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.messaging.MalformedJsonException;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps every failure to an RFC 9457 problem; nothing else reaches a client, and never a stack trace. */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @Inject
    MeterRegistry metrics;

    @ServerExceptionMapper
    public Response api(ApiException e, UriInfo uri) {
        countRejection(e.slug());
        Response.ResponseBuilder r = Response.status(e.status())
                .type(Problem.MEDIA_TYPE)
                .entity(e.problem(path(uri)));
        if (e.status() == 401) {
            r.header("WWW-Authenticate", "Bearer");
        }
        if (e.retryAfterSeconds() != null) {
            r.header("Retry-After", e.retryAfterSeconds());
        }
        if (e.jobId() != null && e.status() == 504) {
            r.header("Location", "/v1/rerank/jobs/" + e.jobId());
        }
        return r.build();
    }

    @ServerExceptionMapper
    public Response invalid(InvalidRequestException e, UriInfo uri) {
        return api(ApiException.invalid(e.violations()), uri);
    }

    @ServerExceptionMapper
    public Response malformed(MalformedJsonException e, UriInfo uri) {
        return api(ApiException.malformed(e.getMessage()), uri);
    }

    /** Framework errors: unknown path, wrong method, unsupported media type, a body over the transport limit. */
    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse().getStatus();
        Response.Status known = Response.Status.fromStatusCode(status);
        String title = known == null ? "HTTP " + status : known.getReasonPhrase();
        String slug = title.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        countRejection(slug);
        return Response.status(status).type(Problem.MEDIA_TYPE)
                .entity(new Problem("/problems/" + slug, title, status, detailFor(status, uri), path(uri), null, null))
                .build();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, UriInfo uri) {
        LOG.errorf(e, "unexpected failure on %s", path(uri));
        countRejection("internal");
        return Response.status(500).type(Problem.MEDIA_TYPE)
                .entity(new Problem("/problems/internal", "Internal error", 500,
                        "the gateway failed to handle this request; it has been logged", path(uri), null, null))
                .build();
    }

    private void countRejection(String reason) {
        metrics.counter("rerank.requests.rejected", "reason", reason).increment();
    }

    private static String detailFor(int status, UriInfo uri) {
        return switch (status) {
            case 404 -> "no such resource: " + path(uri);
            case 405 -> "method not allowed on " + path(uri);
            case 406 -> "cannot produce the requested media type";
            case 413 -> "the request body is too large (rerank.limits.max-body-size)";
            case 415 -> "send the body as application/json";
            default -> "request failed with HTTP " + status;
        };
    }

    private static String path(UriInfo uri) {
        return uri == null ? null : "/" + uri.getPath().replaceFirst("^/", "");
    }
}
