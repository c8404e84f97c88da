package dev.rerankqueue.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The configured API keys, each owned by a tenant, held only as SHA-256 digests and compared in
 * constant time. An entry is {@code tenant:key}, or {@code tenant:sha256:<64 hex digits>} so that
 * production config never holds a usable key.
 */
public final class ApiKeys {

    private record Entry(String tenant, byte[] digest) {}

    private final List<Entry> entries;

    private ApiKeys(List<Entry> entries) {
        this.entries = entries;
    }

    /**
     * Parses {@code rerank.api-keys}; a malformed entry fails start-up with a message that never
     * shows the key.
     */
    public static ApiKeys parse(List<String> config) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < config.size(); i++) {
            String raw = config.get(i).trim();
            if (raw.isEmpty()) {
                continue;
            }
            int colon = raw.indexOf(':');
            if (colon <= 0 || colon == raw.length() - 1) {
                throw new IllegalArgumentException(
                        "rerank.api-keys entry "
                                + (i + 1)
                                + " must be tenant:key or tenant:sha256:<hex>");
            }
            String tenant = raw.substring(0, colon);
            if (!tenant.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException(
                        "rerank.api-keys entry "
                                + (i + 1)
                                + ": tenant names are 1-64 letters, digits, '.', '_' or '-'");
            }
            String secret = raw.substring(colon + 1);
            byte[] digest;
            if (secret.startsWith("sha256:")) {
                String hex = secret.substring("sha256:".length());
                if (!hex.matches("[0-9a-fA-F]{64}")) {
                    throw new IllegalArgumentException(
                            "rerank.api-keys entry " + (i + 1) + ": sha256: needs 64 hex digits");
                }
                digest = HexFormat.of().parseHex(hex.toLowerCase());
            } else {
                digest = sha256(secret);
            }
            out.add(new Entry(tenant, digest));
        }
        return new ApiKeys(List.copyOf(out));
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** How many distinct tenants the keys belong to. */
    public long tenantCount() {
        return entries.stream().map(Entry::tenant).distinct().count();
    }

    /**
     * The tenant owning {@code key}; every entry is compared, so timing does not tell which one
     * matched.
     */
    public Optional<String> tenantOf(String key) {
        if (key == null || key.isEmpty()) {
            return Optional.empty();
        }
        byte[] presented = sha256(key);
        String found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.digest(), presented) && found == null) {
                found = e.tenant();
            }
        }
        return Optional.ofNullable(found);
    }

    /** The {@code sha256:} form of a key, for writing production config. */
    public static String hashed(String key) {
        return "sha256:" + HexFormat.of().formatHex(sha256(key));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
