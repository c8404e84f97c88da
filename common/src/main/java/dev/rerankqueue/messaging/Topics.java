package dev.rerankqueue.messaging;

import dev.rerankqueue.job.Priority;

/** Kafka topic names and record headers shared by gateway and worker. */
public final class Topics {

    /**
     * Accepted interactive jobs; key = job id, value = a {@link dev.rerankqueue.job.RerankJob} as
     * JSON. Workers score them before anything waiting on {@link #JOBS_BATCH}.
     */
    public static final String JOBS = "rerank.jobs";

    /**
     * Accepted jobs of the {@link Priority#BATCH} lane (bulk submissions by default). A topic of
     * its own, so that a backfill of thousands of jobs never sits in front of an interactive job in
     * a partition.
     */
    public static final String JOBS_BATCH = "rerank.jobs.batch";

    /** Records that cannot be processed, with {@link #HEADER_DLQ_REASON} saying why. */
    public static final String JOBS_DLQ = "rerank.jobs.dlq";

    /** Compacted record of every terminal result; key = job id. */
    public static final String RESULTS = "rerank.results";

    /**
     * Consumer group of the workers on {@link #JOBS} and {@link #JOBS_BATCH}; its lag is the
     * backlog the gateway's admission control reads and the autoscaler scales on.
     */
    public static final String WORKER_GROUP = "rerank-workers";

    public static final String HEADER_DLQ_REASON = "rerank-dlq-reason";
    public static final String HEADER_DLQ_SOURCE = "rerank-dlq-source";

    /** Partitions of {@link #JOBS}: the most workers a consumer group can use. */
    public static final int DEFAULT_JOB_PARTITIONS = 12;

    /** Largest record the jobs topic takes (topic max.message.bytes, producer max.request.size). */
    public static final int MAX_RECORD_BYTES = 5 * 1024 * 1024;

    private Topics() {}

    /** The jobs topic of a lane; {@code null} is the interactive lane. */
    public static String jobs(Priority lane) {
        return lane == Priority.BATCH ? JOBS_BATCH : JOBS;
    }

    /** The lane whose jobs are on {@code topic}. */
    public static Priority lane(String topic) {
        return JOBS_BATCH.equals(topic) ? Priority.BATCH : Priority.INTERACTIVE;
    }
}
