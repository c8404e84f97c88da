package dev.rerankqueue.gateway.api.dropin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.gateway.problem.Problem;
import dev.rerankqueue.messaging.JobCodec;
import java.util.Set;

/**
 * Error bodies of the drop-in routes, where each client family looks for the message: Cohere's SDKs
 * read {@code message}, Jina's clients {@code detail}, vLLM's and OpenAI-style clients {@code
 * error.message} (with {@code type} and {@code code}), TEI's clients a string {@code error} and
 * {@code error_type}. The routes {@code /v1/rerank} and {@code /v2/rerank} are shared by several
 * families, so their body carries every one of those fields beside the problem's own; a TEI-shaped
 * request on {@code /rerank} gets TEI's body. Our own job API keeps RFC 9457 problems.
 */
public final class DropInErrors {

    public static final Set<String> ROUTES =
            Set.of("/rerank", "/v1/rerank", "/v2/rerank", "/score", "/v1/score");

    private DropInErrors() {}

    public static boolean isDropInRoute(String path) {
        return path != null && ROUTES.contains(path);
    }

    /**
     * The error body for {@code problem}'s route: a problem on our own API, on a drop-in route a
     * body every client family reads its message from ({@link #anyFamily}).
     */
    public static Object body(Problem problem) {
        return isDropInRoute(problem.instance()) ? anyFamily(problem) : problem;
    }

    /** The media type of {@link #body}. */
    public static String mediaType(Problem problem) {
        return isDropInRoute(problem.instance()) ? "application/json" : Problem.MEDIA_TYPE;
    }

    /** The problem's fields plus Cohere's {@code message} and vLLM's {@code error} object. */
    public static ObjectNode anyFamily(Problem p) {
        ObjectNode body = JobCodec.mapper().valueToTree(p);
        body.put("message", p.detail());
        ObjectNode error = body.putObject("error");
        error.put("message", p.detail());
        error.put("type", vllmType(p.status()));
        error.putNull("param");
        error.put("code", p.status());
        return body;
    }

    /** TEI's error body. */
    public static ObjectNode tei(Problem p) {
        ObjectNode body = JobCodec.mapper().createObjectNode();
        body.put("error", p.detail());
        body.put(
                "error_type",
                p.status() == 429 || p.status() == 503
                        ? "Overloaded"
                        : p.status() >= 500 ? "Backend" : "Validation");
        return body;
    }

    /** The error type vLLM's server and the OpenAI SDKs name for an HTTP status. */
    private static String vllmType(int status) {
        return switch (status) {
            case 401 -> "AuthenticationError";
            case 403 -> "PermissionDeniedError";
            case 404 -> "NotFoundError";
            case 409 -> "ConflictError";
            case 429 -> "RateLimitError";
            case 503 -> "ServiceUnavailableError";
            case 504 -> "TimeoutError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
    }
}
