package dev.rerankqueue.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs this project's Lua scripts by their SHA-1 ({@code EVALSHA}) instead of sending each script's
 * source (up to 3 KB) with every call: Redis keeps every script it has run, so only the first call
 * after Redis started (or {@code SCRIPT FLUSH}) is answered {@code NOSCRIPT}, and that call is sent
 * again as {@code EVAL} with the source. The argument lists are the ones of {@code EVAL}: the
 * script's source first, then the key count, keys and arguments.
 */
public final class LuaScripts {

    private static final Map<String, String> SHAS = new ConcurrentHashMap<>();

    private LuaScripts() {}

    /** The arguments of {@code EVALSHA} for the given arguments of {@code EVAL}. */
    public static String[] bySha(String[] evalArgs) {
        String[] out = evalArgs.clone();
        out[0] = sha1(evalArgs[0]);
        return out;
    }

    /** Whether Redis refused an {@code EVALSHA} because it does not have the script. */
    public static boolean notLoaded(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().startsWith("NOSCRIPT")) {
                return true;
            }
        }
        return false;
    }

    /** The SHA-1 Redis names {@code script} by, lower-case hex. */
    public static String sha1(String script) {
        return SHAS.computeIfAbsent(
                script,
                s -> {
                    try {
                        return HexFormat.of()
                                .formatHex(
                                        MessageDigest.getInstance("SHA-1")
                                                .digest(s.getBytes(StandardCharsets.UTF_8)));
                    } catch (NoSuchAlgorithmException e) {
                        throw new IllegalStateException("every JDK has SHA-1", e);
                    }
                });
    }
}
