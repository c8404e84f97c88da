package dev.rerankqueue.gateway.webhook;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which addresses a webhook may reach, host patterns, and the signature's form. */
class WebhookTargetsTest {

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void onlyPublicAddressesArePublic() throws Exception {
        for (String open : List.of("8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1")) {
            assertTrue(WebhookTargets.isPublic(ip(open)), open);
        }
        for (String closed :
                List.of(
                        "127.0.0.1",
                        "10.2.3.4",
                        "172.16.0.1",
                        "192.168.1.1",
                        "169.254.169.254",
                        "100.64.0.1",
                        "0.0.0.0",
                        "224.0.0.1",
                        "255.255.255.255",
                        "::1",
                        "::",
                        "fe80::1",
                        "fd00::1",
                        "::ffff:10.0.0.1",
                        "::10.0.0.1",
                        // NAT64, 6to4 and Teredo carry an IPv4 address that was never checked
                        "64:ff9b::a9fe:a9fe",
                        "64:ff9b:1::a00:1",
                        "2002:a9fe:a9fe::1",
                        "2001:0:4136:e378:8000:63bf:3fff:fdd2")) {
            assertFalse(WebhookTargets.isPublic(ip(closed)), closed);
        }
    }

    @Test
    void blocksHoldTheirAddressesOnly() throws Exception {
        WebhookTargets.Block block = WebhookTargets.Block.parse("10.1.0.0/16");
        assertTrue(block.contains(ip("10.1.255.7")));
        assertFalse(block.contains(ip("10.2.0.1")));
        assertFalse(block.contains(ip("::1")));
        assertTrue(WebhookTargets.Block.parse("127.0.0.1").contains(ip("127.0.0.1")));
        assertFalse(WebhookTargets.Block.parse("127.0.0.1").contains(ip("127.0.0.2")));
        assertTrue(WebhookTargets.Block.parse("fd00::/8").contains(ip("fd12::3")));
    }

    @Test
    void hostPatternsMatchNamesAndSubdomains() {
        assertTrue(WebhookTargets.matches("*.example.com", "hooks.example.com"));
        assertTrue(WebhookTargets.matches("*.example.com", "a.b.example.com"));
        assertFalse(WebhookTargets.matches("*.example.com", "example.com"));
        assertFalse(WebhookTargets.matches("*.example.com", "evilexample.com"));
        assertTrue(WebhookTargets.matches("hooks.example.com", "hooks.example.com"));
        assertFalse(WebhookTargets.matches("hooks.example.com", "hooks.example.com.evil.net"));
        assertTrue(WebhookTargets.matches("*", "anything.net"));
    }
}
