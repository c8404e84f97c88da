package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Scheduling lane of a job: interactive calls are served before bulk work. */
public enum Priority {
    INTERACTIVE,
    BATCH;

    /** {@code lane}, or {@link #INTERACTIVE} (the default lane) when it is {@code null}. */
    public static Priority orDefault(Priority lane) {
        return lane == null ? INTERACTIVE : lane;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * {@code "interactive"} or {@code "batch"}; or an integer as vLLM's rerank API takes it (lower
     * is earlier, 0 the default): 0 or less is interactive, above 0 is batch, so vLLM clients that
     * send {@code "priority": 0} work.
     */
    @JsonCreator
    public static Priority fromWire(Object value) {
        if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.doubleValue() <= 0 ? INTERACTIVE : BATCH; // never wraps, however large
        }
        for (Priority p : values()) {
            if (p.wireName().equals(value)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "priority must be \"interactive\", \"batch\" or an integer, got " + value);
    }
}
