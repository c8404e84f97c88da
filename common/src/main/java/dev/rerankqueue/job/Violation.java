package dev.rerankqueue.job;

/** One thing wrong with a request: the JSON path of the field and what to fix. */
public record Violation(String field, String message) {

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
