package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.UUID;

/**
 * An accepted request with its identity: the value of every record on the jobs topic.
 *
 * @param schema    envelope version, so that old records stay readable after the contract grows
 * @param id        job id (a UUID), also the Kafka record key
 * @param tenant    owner of the job
 * @param createdAt acceptance time, epoch milliseconds
 * @param request   the whole request, documents included
 */
public record RerankJob(
        int schema,
        String id,
        String tenant,
        @JsonProperty("created_at") long createdAt,
        RerankRequest request) {

    public static final int SCHEMA_VERSION = 1;

    public static RerankJob accept(String tenant, RerankRequest request, long nowMillis) {
        return new RerankJob(SCHEMA_VERSION, UUID.randomUUID().toString(), tenant, nowMillis, request);
    }

    /** The job's scheduling lane: its request's priority, interactive when it names none. */
    public Priority lane() {
        return Priority.orDefault(request.priority());
    }

    public int pairCount() {
        return request.documents().size();
    }

    /** Epoch ms after which the job must not be scored, or {@link Long#MAX_VALUE}. */
    public long deadline() {
        Long d = request.deadlineMs();
        return d == null ? Long.MAX_VALUE : createdAt + d;
    }
}
