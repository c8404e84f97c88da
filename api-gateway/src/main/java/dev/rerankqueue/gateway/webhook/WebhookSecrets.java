package dev.rerankqueue.gateway.webhook;

import dev.rerankqueue.gateway.config.GatewayConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Each tenant's webhook signing keys, from {@code rerank.webhooks.secrets."<tenant>"}, checked once
 * at start-up. A value is one secret or several separated by spaces or commas (rotation: every
 * message is signed with each, and a receiver that knows either verifies it). Each secret is
 * written as Standard Webhooks writes it, {@code whsec_} and the base64 of at least {@value
 * #MIN_KEY_BYTES} random bytes, so the verifying libraries of that standard, which decode it the
 * same way, accept the signatures. Anything else refuses start-up, naming the tenant, never the
 * secret.
 */
@ApplicationScoped
public class WebhookSecrets {

    /** The prefix of a secret, as Standard Webhooks writes it. */
    static final String PREFIX = "whsec_";

    /** The shortest key accepted, in bytes: the standard's own lower bound. */
    static final int MIN_KEY_BYTES = 24;

    private final Map<String, List<byte[]>> keys;

    @Inject
    public WebhookSecrets(GatewayConfig config) {
        this(config.webhooks().secrets());
    }

    WebhookSecrets(Map<String, String> secrets) {
        Map<String, List<byte[]>> parsed = new TreeMap<>();
        secrets.forEach((tenant, value) -> parsed.put(tenant, keysOf(tenant, value)));
        this.keys = parsed;
    }

    /** Builds this bean at start-up, so a malformed secret stops the gateway before it serves. */
    void onStart(@Observes StartupEvent ev) {
        keys.size();
    }

    /** Whether {@code tenant} has a signing key, and so may name a webhook. */
    public boolean has(String tenant) {
        return keys.containsKey(tenant);
    }

    /** The tenant's signing keys, newest rotation order as configured; empty when it has none. */
    public List<byte[]> of(String tenant) {
        return keys.getOrDefault(tenant, List.of());
    }

    private static List<byte[]> keysOf(String tenant, String value) {
        List<byte[]> out = new ArrayList<>();
        for (String secret : value.trim().split("[\\s,]+")) {
            out.add(key(tenant, secret));
        }
        return List.copyOf(out);
    }

    private static byte[] key(String tenant, String secret) {
        String where = "rerank.webhooks.secrets.\"" + tenant + "\": ";
        if (!secret.startsWith(PREFIX)) {
            throw new IllegalStateException(
                    where
                            + "a secret must be written as Standard Webhooks writes it, whsec_ and the"
                            + " base64 of at least "
                            + MIN_KEY_BYTES
                            + " random bytes (for example: whsec_$(head -c 32 /dev/urandom |"
                            + " base64)); receivers' libraries decode it so");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(where + "the text after whsec_ is not base64");
        }
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalStateException(
                    where
                            + "a key of "
                            + key.length
                            + " bytes is too short to sign with: use at least "
                            + MIN_KEY_BYTES);
        }
        return key;
    }
}
