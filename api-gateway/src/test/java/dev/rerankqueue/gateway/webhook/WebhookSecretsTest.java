package dev.rerankqueue.gateway.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Signing keys as Standard Webhooks writes them, checked at start-up, and rotated. */
class WebhookSecretsTest {

    /** The example secret of the Standard Webhooks specification's own test vector. */
    static final String STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);

    @Test
    void signsTheStandardsOwnExampleAsItsLibrariesDo() {
        WebhookSecrets secrets = new WebhookSecrets(Map.of("acme", STANDARD_SECRET));
        assertEquals(
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                WebhookSignature.sign(
                        secrets.of("acme"), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, BODY));
    }

    @Test
    void aSecretNotWrittenAsTheStandardWritesItStopsStartUpNamingTheTenantNotTheSecret() {
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> new WebhookSecrets(Map.of("acme", "my-shared-password")));
        assertTrue(e.getMessage().contains("\"acme\""), e.getMessage());
        assertTrue(e.getMessage().contains("whsec_"), e.getMessage());
        assertFalse(e.getMessage().contains("my-shared-password"), e.getMessage());
    }

    @Test
    void aKeyTooShortOrNotBase64StopsStartUp() {
        String sixteenBytes = "whsec_" + Base64.getEncoder().encodeToString(new byte[16]);
        assertTrue(
                assertThrows(
                                IllegalStateException.class,
                                () -> new WebhookSecrets(Map.of("acme", sixteenBytes)))
                        .getMessage()
                        .contains("16 bytes"));
        assertTrue(
                assertThrows(
                                IllegalStateException.class,
                                () -> new WebhookSecrets(Map.of("acme", "whsec_not*base64")))
                        .getMessage()
                        .contains("not base64"));
    }

    @Test
    void duringARotationEachMessageCarriesOneSignaturePerSecret() {
        String next = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
        WebhookSecrets both = new WebhookSecrets(Map.of("acme", STANDARD_SECRET + " " + next));
        WebhookSecrets old = new WebhookSecrets(Map.of("acme", STANDARD_SECRET));
        WebhookSecrets fresh = new WebhookSecrets(Map.of("acme", next + ","));
        String signed = WebhookSignature.sign(both.of("acme"), "m1", 1700000000, BODY);
        assertEquals(
                List.of(
                        WebhookSignature.sign(old.of("acme"), "m1", 1700000000, BODY),
                        WebhookSignature.sign(fresh.of("acme"), "m1", 1700000000, BODY)),
                List.of(signed.split(" ")));
        assertFalse(both.has("globex"));
        assertEquals(List.of(), both.of("globex"));
    }
}
