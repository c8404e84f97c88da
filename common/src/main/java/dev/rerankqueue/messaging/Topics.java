package dev.rerankqueue.messaging;

/** Kafka topic names and record headers shared by gateway and worker. */
public final class Topics {

    /** Accepted jobs; key = job id, value = a {@link dev.rerankqueue.job.RerankJob} as JSON. */
    public static final String JOBS = "rerank.jobs";
    /** Records that cannot be processed, with {@link #HEADER_DLQ_REASON} saying why. */
    public static final String JOBS_DLQ = "rerank.jobs.dlq";
    /** Compacted record of every terminal result; key = job id. */
    public static final String RESULTS = "rerank.results";

    /** Consumer group of the workers on {@link #JOBS}; its lag is the backlog the gateway's admission control reads. */
    public static final String WORKER_GROUP = "rerank-workers";

    public static final String HEADER_DLQ_REASON = "rerank-dlq-reason";
    public static final String HEADER_DLQ_SOURCE = "rerank-dlq-source";

    /** Partitions of {@link #JOBS}: the most workers a consumer group can use. */
    public static final int DEFAULT_JOB_PARTITIONS = 12;
    /** Largest record the jobs topic takes (topic max.message.bytes, producer max.request.size). */
    public static final int MAX_RECORD_BYTES = 5 * 1024 * 1024;

    private Topics() {
    }
}
