package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A page of a tenant's jobs, newest first, in the list shape of OpenAI's Batch API.
 *
 * @param data the jobs of this page that matched the filters
 * @param firstId the first job of {@code data}, or null
 * @param lastId the last job looked at: pass it as {@code after} for the next page (with filters it
 *     may be a job that did not match)
 * @param hasMore whether older jobs remain
 */
public record JobList(
        String object,
        List<JobView> data,
        @JsonProperty("first_id") String firstId,
        @JsonProperty("last_id") String lastId,
        @JsonProperty("has_more") boolean hasMore) {

    static JobList of(List<JobView> data, String lastId, boolean hasMore) {
        return new JobList("list", data, data.isEmpty() ? null : data.get(0).id(), lastId, hasMore);
    }
}
