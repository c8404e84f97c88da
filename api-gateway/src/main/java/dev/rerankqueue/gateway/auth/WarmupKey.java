package dev.rerankqueue.gateway.auth;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The credential of the requests a starting gateway sends to its own routes to warm them (see
 * {@code AcceptPathWarmup}): random for each start, known only to this process, and retired for
 * good once the warm-up ends, before the gateway reports ready. A request carrying it is the
 * warm-up's caller ({@link #TENANT}), never a configured tenant: nothing it does is charged or
 * counted as a client's refusal. The warm-up sends only requests that validation refuses.
 */
@ApplicationScoped
public class WarmupKey {

    /** The caller a warm-up request is taken for. */
    public static final String TENANT = "gateway-warm-up";

    private volatile String key;

    public WarmupKey() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        this.key = "warmup-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The credential to send, or null once retired. */
    public String key() {
        return key;
    }

    /** Retires the credential: from now on no request is taken for the warm-up. */
    public void retire() {
        key = null;
    }

    /** Whether {@code presented} is the credential, while it is not retired. */
    boolean matches(String presented) {
        String k = key;
        return k != null
                && presented != null
                && MessageDigest.isEqual(
                        k.getBytes(StandardCharsets.UTF_8),
                        presented.trim().getBytes(StandardCharsets.UTF_8));
    }
}
