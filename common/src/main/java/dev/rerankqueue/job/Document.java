package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One candidate document; {@code id} is an optional client-side identifier echoed back with the
 * result.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Document(String text, String id) {

    public static Document of(String text) {
        return new Document(text, null);
    }
}
