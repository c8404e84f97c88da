package dev.rerankqueue.gateway.auth;

import dev.rerankqueue.gateway.problem.ApiException;
import dev.rerankqueue.gateway.problem.ApiException.Facts;
import dev.rerankqueue.gateway.problem.ApiException.Kind;

/** A request without a valid API key. Each factory is one stable problem {@code type}. */
public final class UnauthorizedException extends ApiException {

    private UnauthorizedException(Kind kind, String detail, Facts facts) {
        super(kind, detail, facts);
    }

    public static UnauthorizedException unauthorized(String detail) {
        return new UnauthorizedException(
                new Kind(401, "unauthorized", "API key required"), detail, Facts.NONE);
    }
}
