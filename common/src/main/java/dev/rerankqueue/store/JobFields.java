package dev.rerankqueue.store;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.JobStatus;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.messaging.JobCodec;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Field names of the job hash at {@link RedisKeys#job(String)}, and how to read a {@link JobState}
 * back.
 */
public final class JobFields {

    public static final String STATUS = "status";
    public static final String VERSION = "version";
    public static final String TENANT = "tenant";
    public static final String MODEL = "model";
    public static final String CREATED_AT = "created_at";
    public static final String STARTED_AT = "started_at";
    public static final String FINISHED_AT = "finished_at";
    public static final String ATTEMPTS = "attempts";
    public static final String PAIRS = "pairs";
    public static final String WORKER = "worker";
    public static final String ERROR = "error";
    public static final String RESULT = "result";

    /** Epoch ms by which scoring must start, for a job with a deadline. */
    public static final String DEADLINE_AT = "deadline_at";

    /** Epoch ms at which the gateway predicted, on accepting the job, that scoring would start. */
    public static final String PREDICTED_START_AT = "predicted_start_at";

    /**
     * Pairs of the running attempt scored so far ({@link JobProgress}); reset when an attempt
     * starts.
     */
    public static final String SCORED_PAIRS = "scored_pairs";

    /** The client's metadata as a JSON object, when the request had any. */
    public static final String METADATA = "metadata";

    /**
     * Not stored: the milliseconds the hash has left to live, which a reader that asks Redis for it
     * (PTTL) adds to the fields it read; becomes {@link JobState#expiresAt()}.
     */
    public static final String EXPIRES_IN_MS = "expires_in_ms";

    /**
     * The URL a job's end is announced to; a terminal write of a job with one queues a delivery in
     * its tenant's outbox ({@link RedisKeys#WEBHOOKS_DUE_OF_PREFIX}) in the same script.
     */
    public static final String WEBHOOK = "webhook";

    /** Delivery attempts of the job's webhook so far. */
    public static final String WEBHOOK_ATTEMPTS = "webhook_attempts";

    /** When the first delivery of the job's webhook was tried, epoch ms. */
    public static final String WEBHOOK_FIRST_ATTEMPT_AT = "webhook_first_attempt_at";

    /** {@code delivered} or {@code failed} once the webhook's delivery has ended. */
    public static final String WEBHOOK_STATUS = "webhook_status";

    private JobFields() {}

    /**
     * Fields a job's hash starts with, whoever writes it first (the gateway on accept, or a
     * worker).
     */
    public static Map<String, String> initial(RerankJob job) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(TENANT, job.tenant());
        fields.put(CREATED_AT, Long.toString(job.createdAt()));
        fields.put(PAIRS, Integer.toString(job.pairCount()));
        if (job.request().model() != null) {
            fields.put(MODEL, job.request().model());
        }
        putMetadata(fields, job.request().metadata());
        if (job.request().deadlineMs() != null) {
            fields.put(DEADLINE_AT, Long.toString(job.deadline()));
        }
        if (job.request().webhook() != null) {
            fields.put(WEBHOOK, job.request().webhook());
        }
        return fields;
    }

    /**
     * Every field of {@code state} as a hash, with the version one below the state's so that the
     * create write that restores it (and bumps the version) leaves exactly the original version.
     */
    public static Map<String, String> restoring(JobState state) {
        Map<String, String> fields = new LinkedHashMap<>();
        put(fields, TENANT, state.tenant());
        put(fields, MODEL, state.model());
        put(fields, CREATED_AT, state.createdAt());
        put(fields, STARTED_AT, state.startedAt());
        put(fields, FINISHED_AT, state.finishedAt());
        put(fields, ATTEMPTS, state.attempts());
        put(fields, PAIRS, state.pairs());
        put(fields, WORKER, state.worker());
        put(fields, ERROR, state.error());
        put(fields, DEADLINE_AT, state.deadlineAt());
        put(fields, PREDICTED_START_AT, state.predictedStartAt());
        putMetadata(fields, state.metadata());
        if (state.webhook() != null) {
            // restored because Redis lost it: its end is announced again (at least once; the
            // receiver knows the message by its id)
            fields.put(WEBHOOK, state.webhook().url());
        }
        if (state.result() != null) {
            fields.put(RESULT, JobCodec.encodeResult(state.result()));
        }
        fields.put(VERSION, Long.toString(Math.max(0, state.version() - 1)));
        return fields;
    }

    private static void put(Map<String, String> fields, String name, Object value) {
        if (value != null && !(value instanceof Number n && n.longValue() == 0)) {
            fields.put(name, value.toString());
        }
    }

    /**
     * The state in a hash as HGETALL returns it, or {@code null} when the hash is empty (no such
     * job).
     */
    public static JobState toState(String id, Map<String, String> hash) {
        if (hash == null || hash.isEmpty() || hash.get(STATUS) == null) {
            return null;
        }
        String result = hash.get(RESULT);
        return new JobState(
                id,
                JobStatus.fromWire(hash.get(STATUS)),
                toLong(hash.get(VERSION)),
                hash.get(TENANT),
                hash.get(MODEL),
                toLong(hash.get(CREATED_AT)),
                toLong(hash.get(STARTED_AT)),
                toLong(hash.get(FINISHED_AT)),
                (int) toLong(hash.get(ATTEMPTS)),
                (int) toLong(hash.get(PAIRS)),
                scoredWhileRunning(hash),
                hash.get(WORKER),
                hash.get(ERROR),
                result == null || result.isEmpty() ? null : JobCodec.decodeResult(result),
                metadata(hash.get(METADATA)),
                expiresAt(hash.get(EXPIRES_IN_MS)),
                webhook(hash),
                positive(hash.get(DEADLINE_AT)),
                positive(hash.get(PREDICTED_START_AT)));
    }

    /** A stored epoch-ms field, or {@code null} when absent. */
    private static Long positive(String value) {
        long ms = toLong(value);
        return ms > 0 ? ms : null;
    }

    /**
     * Progress only means something while running; terminal states (and the results topic) never
     * carry it.
     */
    private static Integer scoredWhileRunning(Map<String, String> hash) {
        long scored = toLong(hash.get(SCORED_PAIRS));
        return scored > 0 && JobStatus.RUNNING.wireName().equals(hash.get(STATUS))
                ? (int) scored
                : null;
    }

    private static void putMetadata(Map<String, String> fields, Map<String, String> metadata) {
        if (metadata != null && !metadata.isEmpty()) {
            fields.put(METADATA, JobCodec.toJson(metadata));
        }
    }

    private static Map<String, String> metadata(String json) {
        if (json == null || json.isEmpty()) {
            return null;
        }
        try {
            return JobCodec.mapper().readValue(json, new TypeReference<Map<String, String>>() {});
        } catch (IOException e) {
            return null;
        }
    }

    private static JobState.Webhook webhook(Map<String, String> hash) {
        String url = hash.get(WEBHOOK);
        if (url == null) {
            return null;
        }
        String status = hash.get(WEBHOOK_STATUS);
        return new JobState.Webhook(
                url, status == null ? "pending" : status, (int) toLong(hash.get(WEBHOOK_ATTEMPTS)));
    }

    private static Long expiresAt(String millisLeft) {
        return millisLeft == null || millisLeft.isEmpty()
                ? null
                : System.currentTimeMillis() + Long.parseLong(millisLeft);
    }

    private static long toLong(String s) {
        return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
    }
}
