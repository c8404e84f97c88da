package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** Scheduling lane of a job: interactive calls are served before bulk work. */
public enum Priority {
    INTERACTIVE, BATCH;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Priority fromWire(String name) {
        for (Priority p : values()) {
            if (p.wireName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("priority must be \"interactive\" or \"batch\", got \"" + name + "\"");
    }
}
