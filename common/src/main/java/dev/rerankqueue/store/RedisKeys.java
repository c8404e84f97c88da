package dev.rerankqueue.store;

/** The Redis key schema. Every key the service touches is built here; nothing scans with KEYS. */
public final class RedisKeys {

    /** The one pub/sub channel on which every state write is announced as a {@link JobEvent}. */
    public static final String JOB_EVENTS_CHANNEL = "rerank:job-events";

    private static final String JOB_PREFIX = "rerank:job:";

    private RedisKeys() {
    }

    /** Hash of a job's state ({@link JobFields}). */
    public static String job(String id) {
        return JOB_PREFIX + id;
    }

    /** Idempotency record of a tenant's {@code Idempotency-Key}. */
    public static String idempotency(String tenant, String key) {
        return "rerank:idem:" + tenant + ":" + key;
    }
}
