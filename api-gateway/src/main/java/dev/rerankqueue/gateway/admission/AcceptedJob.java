package dev.rerankqueue.gateway.admission;

/**
 * A job that Kafka has acknowledged: durable from here on.
 *
 * @param replayed true when an earlier request with the same Idempotency-Key created it
 */
public record AcceptedJob(String id, long createdAt, boolean replayed) {}
