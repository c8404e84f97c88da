package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Which end of a document is cut when it must be shortened (TEI's {@code truncation_direction}):
 * {@link #RIGHT}, the default, keeps its beginning; {@link #LEFT} keeps its end.
 */
public enum TruncationDirection {
    RIGHT,
    LEFT;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code "right"} or {@code "left"}, in any case, as TEI clients send {@code "Left"}. */
    @JsonCreator
    public static TruncationDirection fromWire(String value) {
        for (TruncationDirection d : values()) {
            if (d.name().equalsIgnoreCase(value)) {
                return d;
            }
        }
        throw new IllegalArgumentException(
                "truncation_direction must be \"right\" or \"left\", got " + value);
    }
}
