package dev.rerankqueue.gateway.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.StringJoiner;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of a webhook as the Standard Webhooks specification writes it (the scheme OpenAI's
 * and Svix's webhooks use, so their verifying libraries work): header {@code webhook-signature} is
 * {@code v1,} and the base64 HMAC-SHA256 of {@code <webhook-id>.<webhook-timestamp>.<body>}, once
 * for each of the tenant's keys ({@link WebhookSecrets}), separated by spaces.
 */
public final class WebhookSignature {

    public static final String ID_HEADER = "webhook-id";
    public static final String TIMESTAMP_HEADER = "webhook-timestamp";
    public static final String SIGNATURE_HEADER = "webhook-signature";

    private WebhookSignature() {}

    /**
     * The {@code webhook-signature} value for a message: one {@code v1,<base64>} per key, separated
     * by spaces.
     */
    public static String sign(List<byte[]> keys, String id, long timestampSeconds, byte[] body) {
        StringJoiner out = new StringJoiner(" ");
        for (byte[] key : keys) {
            out.add(
                    "v1,"
                            + Base64.getEncoder()
                                    .encodeToString(hmac(key, id, timestampSeconds, body)));
        }
        return out.toString();
    }

    private static byte[] hmac(byte[] key, String id, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JVM", e);
        }
    }
}
