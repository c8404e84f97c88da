package dev.rerankqueue.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.UUID;

/**
 * An accepted request with its identity: the value of every record on the jobs topic.
 *
 * @param schema envelope version, so that old records stay readable after the contract grows
 * @param id job id (a UUID), also the Kafka record key
 * @param tenant owner of the job
 * @param createdAt acceptance time, epoch milliseconds
 * @param request the whole request, documents included
 * @param retentionMs how long the job's state and result stay readable after its last write; {@code
 *     null} means the deployment's default (sync calls keep theirs only as long as a retry can use
 *     it)
 * @param cost what the job was charged at the door ({@link JobCost#of}); a record written without
 *     one is charged from its request when read
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RerankJob(
        int schema,
        String id,
        String tenant,
        @JsonProperty("created_at") long createdAt,
        RerankRequest request,
        @JsonProperty("retention_ms") Long retentionMs,
        JobCost cost) {

    @JsonCreator
    public RerankJob {
        if (cost == null && request != null) {
            cost = JobCost.of(request);
        }
    }

    public RerankJob(int schema, String id, String tenant, long createdAt, RerankRequest request) {
        this(schema, id, tenant, createdAt, request, null, null);
    }

    public RerankJob(
            int schema,
            String id,
            String tenant,
            long createdAt,
            RerankRequest request,
            Long retentionMs) {
        this(schema, id, tenant, createdAt, request, retentionMs, null);
    }

    /** This job, kept for {@code retention} after its last write instead of the default. */
    public RerankJob withRetention(Duration retention) {
        return new RerankJob(schema, id, tenant, createdAt, request, retention.toMillis(), cost);
    }

    /** The job's own retention, or {@code otherwise}. */
    public Duration retentionOr(Duration otherwise) {
        return retentionMs == null ? otherwise : Duration.ofMillis(retentionMs);
    }

    public static final int SCHEMA_VERSION = 1;

    public static RerankJob accept(String tenant, RerankRequest request, long nowMillis) {
        return new RerankJob(
                SCHEMA_VERSION, UUID.randomUUID().toString(), tenant, nowMillis, request);
    }

    /** The job's scheduling lane: its request's priority, interactive when it names none. */
    public Priority lane() {
        return Priority.orDefault(request.priority());
    }

    /**
     * Pairs the model scores for this job at most ({@link JobCost#pairs()}): one per document, one
     * per chunk of a chunked one. Quotas, admission and progress count these.
     */
    public int pairCount() {
        return (int) Math.min(Integer.MAX_VALUE, cost.pairs());
    }

    /** Documents of the request. */
    public int documentCount() {
        return request.documents().size();
    }

    /** Epoch ms after which the job must not be scored, or {@link Long#MAX_VALUE}. */
    public long deadline() {
        Long d = request.deadlineMs();
        return d == null ? Long.MAX_VALUE : createdAt + d;
    }
}
