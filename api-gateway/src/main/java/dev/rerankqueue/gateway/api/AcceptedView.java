package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rerankqueue.gateway.admission.AcceptedJob;
import java.time.Instant;

/** The 202 body of an accepted job: its id and where to follow it. */
public record AcceptedView(
        String id, String status, @JsonProperty("created_at") String createdAt, Links links) {

    /**
     * @param self poll here; @param events subscribe here (text/event-stream)
     */
    public record Links(String self, String events) {}

    public static AcceptedView of(AcceptedJob accepted) {
        String self = JobResource.PATH + "/" + accepted.id();
        return new AcceptedView(
                accepted.id(),
                "queued",
                Instant.ofEpochMilli(accepted.createdAt()).toString(),
                new Links(self, self + "/events"));
    }
}
