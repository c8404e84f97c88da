package dev.rerankqueue.gateway.api;

import dev.rerankqueue.gateway.api.dropin.DropInErrors;
import dev.rerankqueue.gateway.api.dropin.TeiRequestFailure;
import dev.rerankqueue.gateway.auth.Caller;
import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.Problem;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.messaging.MalformedJsonException;
import io.quarkus.arc.Arc;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.Locale;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Maps every failure to an RFC 9457 problem (on the drop-in routes, to the body their clients read:
 * {@link DropInErrors}); nothing else reaches a client, and never a stack trace.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @Inject RejectionCounts rejections;
    @Inject Caller caller;

    @ServerExceptionMapper
    public Response api(ApiException e, UriInfo uri) {
        return respond(e, uri, false);
    }

    /** A TEI-shaped request's failure, in TEI's error shape. */
    @ServerExceptionMapper
    public Response tei(TeiRequestFailure f, UriInfo uri) {
        ApiException e = asApiException(f.getCause());
        return e == null ? unexpected(f.getCause(), uri) : respond(e, uri, true);
    }

    /**
     * The API error a request failure stands for, or {@code null} for a failure of the gateway
     * itself.
     */
    static ApiException asApiException(Throwable t) {
        if (t instanceof ApiException api) {
            return api;
        }
        if (t instanceof InvalidRequestException invalid) {
            return RequestException.invalid(invalid.violations());
        }
        if (t instanceof MalformedJsonException malformed) {
            return RequestException.malformed(malformed.getMessage());
        }
        return null;
    }

    private Response respond(ApiException e, UriInfo uri, boolean tei) {
        countRejection(e.slug());
        Problem problem = e.problem(path(uri));
        Response.ResponseBuilder r = Response.status(e.status());
        if (tei) {
            r.type(MediaType.APPLICATION_JSON).entity(DropInErrors.tei(problem));
        } else {
            entity(r, problem);
        }
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

    /**
     * A problem+json body on our own API; on a drop-in route, a body every client family reads its
     * message from.
     */
    private static Response.ResponseBuilder entity(Response.ResponseBuilder r, Problem problem) {
        return r.type(DropInErrors.mediaType(problem)).entity(DropInErrors.body(problem));
    }

    @ServerExceptionMapper
    public Response invalid(InvalidRequestException e, UriInfo uri) {
        return api(asApiException(e), uri);
    }

    @ServerExceptionMapper
    public Response malformed(MalformedJsonException e, UriInfo uri) {
        return api(asApiException(e), uri);
    }

    /**
     * Framework errors: unknown path, wrong method, unsupported media type, a body over the
     * transport limit.
     */
    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse().getStatus();
        Response.Status known = Response.Status.fromStatusCode(status);
        String title = known == null ? "HTTP " + status : known.getReasonPhrase();
        String slug = title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        countRejection(slug);
        return entity(
                        Response.status(status),
                        new Problem(
                                "/problems/" + slug,
                                title,
                                status,
                                detailFor(status, uri),
                                path(uri),
                                null,
                                null))
                .build();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, UriInfo uri) {
        LOG.errorf(e, "unexpected failure on %s", path(uri));
        countRejection("internal");
        return entity(
                        Response.status(500),
                        new Problem(
                                "/problems/internal",
                                "Internal error",
                                500,
                                "the gateway failed to handle this request; it has been logged",
                                path(uri),
                                null,
                                null))
                .build();
    }

    private void countRejection(String reason) {
        // the gateway's own warm-up is refused by design: not a client's refusal
        if (!(Arc.container().requestContext().isActive() && caller.warmup())) {
            rejections.count(reason);
        }
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
