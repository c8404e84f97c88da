package dev.rerankqueue.gateway.webhook;

import dev.rerankqueue.gateway.config.GatewayConfig;
import dev.rerankqueue.gateway.config.Webhooks;
import dev.rerankqueue.job.InvalidRequestException;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Where a webhook may go. A job's {@code webhook} is checked when the job is accepted (an https
 * URL, or http where allowed; a host the operator allowed; a tenant with a signing secret) and
 * every address its host resolves to is checked again right before each delivery: loopback,
 * link-local (cloud metadata services), private, carrier-grade NAT, multicast and unspecified
 * addresses are refused unless listed in {@code rerank.webhooks.allowed-private-addresses}, so a
 * webhook cannot be turned against the network the gateway runs in.
 */
@ApplicationScoped
public class WebhookTargets {

    static final int MAX_URL_CHARS = 2048;

    private final Webhooks config;
    private final WebhookSecrets secrets;
    private final List<String> hostPatterns;
    private final List<Block> privateAllowed;

    public WebhookTargets(GatewayConfig config, WebhookSecrets secrets) {
        this.config = config.webhooks();
        this.secrets = secrets;
        this.hostPatterns =
                this.config.allowedHosts().orElse(List.of()).stream()
                        .map(h -> h.trim().toLowerCase(Locale.ROOT))
                        .filter(h -> !h.isEmpty())
                        .toList();
        this.privateAllowed =
                this.config.allowedPrivateAddresses().orElse(List.of()).stream()
                        .map(String::trim)
                        .filter(a -> !a.isEmpty())
                        .map(Block::parse)
                        .toList();
    }

    /**
     * Throws a 422 naming {@code webhook} when {@code url} may not be used by {@code tenant}; does
     * nothing for {@code null}.
     */
    public void check(String url, String tenant) {
        if (url == null) {
            return;
        }
        if (!config.enabled()) {
            throw refused(
                    "webhooks are off on this gateway (an operator turns them on with"
                            + " rerank.webhooks.allowed-hosts)");
        }
        URI uri = parse(url);
        if (!secrets.has(tenant)) {
            throw refused(
                    "no signing secret is configured for your tenant (rerank.webhooks.secrets.\""
                            + tenant
                            + "\"), so a webhook could not be verified");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (isLiteral(host)) {
            String why = refusal(literal(host));
            if (why != null) {
                throw refused(why);
            }
        }
    }

    /**
     * The addresses {@code url}'s host resolves to, every one checked; throws {@link
     * RefusedTargetException} when one may not be reached. Blocks on name resolution.
     */
    public List<InetAddress> resolve(URI url) throws RefusedTargetException {
        InetAddress[] all;
        try {
            all = InetAddress.getAllByName(url.getHost());
        } catch (UnknownHostException e) {
            throw new RefusedTargetException("host " + url.getHost() + " does not resolve");
        }
        for (InetAddress a : all) {
            String why = refusal(a);
            if (why != null) {
                throw new RefusedTargetException(why);
            }
        }
        return List.of(all);
    }

    /** {@code url} parsed and checked against scheme, form and host patterns. */
    URI parse(String url) {
        if (url.length() > MAX_URL_CHARS) {
            throw refused("is longer than " + MAX_URL_CHARS + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw refused("is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(scheme.equals("http") && config.allowHttp())) {
            throw refused(
                    config.allowHttp()
                            ? "must be an http or https URL"
                            : "must be an https URL (rerank.webhooks.allow-http is off)");
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null) {
            throw refused("must name a host, without user or password");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (hostPatterns.stream().noneMatch(p -> matches(p, host))) {
            throw refused(
                    "host "
                            + host
                            + " is not one webhooks may reach (allowed: "
                            + String.join(", ", hostPatterns)
                            + ")");
        }
        return uri;
    }

    static boolean matches(String pattern, String host) {
        if (pattern.equals("*")) {
            return true;
        }
        if (pattern.startsWith("*.")) {
            return host.endsWith(pattern.substring(1)) && host.length() > pattern.length() - 1;
        }
        return pattern.equals(host);
    }

    /** Why {@code a} may not be reached, or {@code null} when it may. */
    String refusal(InetAddress a) {
        if (!isPublic(a) && privateAllowed.stream().noneMatch(b -> b.contains(a))) {
            return "address "
                    + a.getHostAddress()
                    + " is not public (loopback, link-local, private or reserved); an operator may"
                    + " allow it in rerank.webhooks.allowed-private-addresses";
        }
        return null;
    }

    static boolean isPublic(InetAddress a) {
        InetAddress v4 = embeddedIpv4(a);
        if (v4 != null) {
            a = v4;
        }
        if (a.isAnyLocalAddress()
                || a.isLoopbackAddress()
                || a.isLinkLocalAddress()
                || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first != 0 // this network
                    && !(first == 100 && second >= 64 && second < 128) // carrier-grade NAT
                    && !(first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF assignments
                    && !(first == 198 && (second == 18 || second == 19)) // benchmarking
                    && first < 240; // reserved and broadcast
        }
        int first16 = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
        int second16 = ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        // translated or tunnelled to an IPv4 address that was never checked: NAT64
        // (64:ff9b::/96, local-use 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32)
        boolean translated =
                (first16 == 0x64 && second16 == 0xff9b)
                        || first16 == 0x2002
                        || (first16 == 0x2001 && second16 == 0);
        return (b[0] & 0xfe) != 0xfc // unique local fc00::/7
                && !translated;
    }

    /** The IPv4 address inside an IPv4-mapped or -compatible IPv6 address, else {@code null}. */
    private static InetAddress embeddedIpv4(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return null;
        }
        byte[] b = a.getAddress();
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return null;
            }
        }
        boolean mapped = (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compatible = b[10] == 0 && b[11] == 0;
        if (!mapped && !compatible) {
            return null;
        }
        try {
            return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static boolean isLiteral(String host) {
        return host.startsWith("[") || host.matches("[0-9.]+");
    }

    private static InetAddress literal(String host) {
        try {
            // a literal is parsed, never looked up
            return InetAddress.getByName(host.replace("[", "").replace("]", ""));
        } catch (UnknownHostException e) {
            throw refused("host " + host + " is not a valid address");
        }
    }

    private static InvalidRequestException refused(String why) {
        return new InvalidRequestException("webhook", why);
    }

    /** An IP address, or a CIDR block of them. */
    record Block(byte[] network, int prefix) {

        static Block parse(String spec) {
            String[] parts = spec.split("/", 2);
            byte[] address;
            try {
                address = InetAddress.getByName(parts[0]).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(
                        "rerank.webhooks.allowed-private-addresses: "
                                + spec
                                + " is not an address");
            }
            int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : address.length * 8;
            return new Block(address, prefix);
        }

        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            int bits = network.length * 8;
            BigInteger mask =
                    BigInteger.ONE
                            .shiftLeft(bits)
                            .subtract(BigInteger.ONE)
                            .shiftRight(prefix)
                            .not()
                            .and(BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE));
            return new BigInteger(1, b).and(mask).equals(new BigInteger(1, network).and(mask));
        }
    }

    /** A webhook whose host may not be reached (now: its name may have moved since acceptance). */
    public static final class RefusedTargetException extends Exception {
        RefusedTargetException(String message) {
            super(message);
        }
    }
}
