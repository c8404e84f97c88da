package dev.rerankqueue.gateway.webhook;

import dev.rerankqueue.gateway.config.Webhooks;
import java.net.InetAddress;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * One delivery attempt: the URL checked again and resolved once, the body signed with the tenant's
 * current secret, one POST to the checked address under one deadline; the answer is {@code
 * delivered}, {@code retry} (a 5xx, 4xx other than 410, or no answer in time) or {@code failed}.
 */
final class WebhookSender {

    private static final Logger LOG = Logger.getLogger(WebhookSender.class);

    private final Webhooks config;
    private final WebhookTargets targets;
    private final WebhookSecrets secrets;
    private final WebhookTransport http;

    WebhookSender(
            Webhooks config,
            WebhookTargets targets,
            WebhookSecrets secrets,
            WebhookTransport http) {
        this.config = config;
        this.targets = targets;
        this.secrets = secrets;
        this.http = http;
    }

    /**
     * One POST of {@code body} as message {@code eventId}: {@code delivered}, {@code retry} or
     * {@code failed}.
     */
    String attempt(String url, String tenant, String what, String eventId, byte[] body) {
        List<byte[]> keys = secrets.of(tenant);
        URI uri;
        InetAddress address;
        try {
            uri = URI.create(url);
            targets.parse(url);
            // the connection goes to this checked address: the name is not resolved again
            address = targets.resolve(uri).get(0);
        } catch (WebhookTargets.RefusedTargetException | RuntimeException e) {
            LOG.warnf("webhook of %s refused: %s", what, e.getMessage());
            return "failed";
        }
        if (keys.isEmpty()) {
            LOG.warnf("webhook of %s not sent: tenant %s has no secret now", what, tenant);
            return "failed";
        }
        long timestamp = System.currentTimeMillis() / 1000;
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "application/json");
        headers.put("user-agent", "rerank-queue-webhooks");
        headers.put(WebhookSignature.ID_HEADER, eventId);
        headers.put(WebhookSignature.TIMESTAMP_HEADER, Long.toString(timestamp));
        headers.put(
                WebhookSignature.SIGNATURE_HEADER,
                WebhookSignature.sign(keys, eventId, timestamp, body));
        // the whole attempt has one deadline, headers and body; the response's body is not read
        // at all (the status is the answer), and at the deadline the connection is reset
        try {
            int status = http.post(uri, address, headers, body, config.timeout());
            if (status >= 200 && status < 300) {
                return "delivered";
            }
            return status == 410 ? "failed" : "retry";
        } catch (TimeoutException | ExecutionException e) {
            return "retry";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "retry";
        }
    }

    /** Closes the connections of attempts still open. */
    void close() {
        http.close();
    }
}
