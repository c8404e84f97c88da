package dev.rerankqueue.gateway.config;

import dev.rerankqueue.job.RequestLimits;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Bounds on one request; over a bound is a 413 or 422, never a silent truncation. */
public interface Limits {
    /** Largest request body. Default 4M. */
    @WithDefault("4M")
    MemorySize maxBodySize();

    /**
     * Documents per job: Cohere's ceiling (it recommends at most 1,000 and takes up to 10,000); the
     * worker splits a job into micro-batches the model takes. Default 10000.
     */
    @WithDefault("10000")
    int maxDocuments();

    /** Characters in a query (and an instruction). Default 16384. */
    @WithDefault("16384")
    int maxQueryChars();

    /** Characters in one document. Default 131072. */
    @WithDefault("131072")
    int maxDocumentChars();

    /** Jobs in one bulk submission ({@code POST /v1/rerank/jobs:batch}). Default 1000. */
    @WithDefault("1000")
    int maxBatchJobs();

    /**
     * Jobs in one JSON Lines upload to {@code POST /v1/rerank/jobs:batch}, which is read as it
     * arrives (each line at most {@link #maxBodySize()}). Default 100000.
     */
    @WithDefault("100000")
    long maxUploadJobs();

    /**
     * JSON Lines uploads one tenant may send to one gateway at once (429 over it; 0 = no limit):
     * each holds a worker thread for as long as its client sends. Default 2.
     */
    @WithDefault("2")
    int maxUploadsPerTenant();

    /**
     * Bytes of lines one JSON Lines upload has being submitted at once, besides at most 32 lines:
     * bounds the heap one upload of large lines takes (each line is held as text, parsed and
     * encoded until Kafka has it). A line larger than this is submitted alone. Where tenants have a
     * send share ({@code rerank.admission.max-tenant-send-share}), at most three quarters of that
     * share divided by {@code max-uploads-per-tenant}: a tenant's uploads alone never fill its
     * share (6 MiB each with the defaults). Default 16M.
     */
    @WithDefault("16M")
    MemorySize uploadWindow();

    /**
     * The slowest a JSON Lines upload may send, in bytes per second of the time the gateway waits
     * on its client (not counting its own waits on admission and Kafka), measured over {@link
     * #uploadMinRateWindow()}: a slower upload stops with 408 {@code upload-too-slow} at the line
     * it reached, its earlier lines submitted, so a trickling client cannot hold a thread for
     * hours. A client silent for {@code quarkus.http.read-timeout} (60 s) is cut off earlier. 0 =
     * no floor. Default 1024.
     */
    @WithDefault("1024")
    long uploadMinRate();

    /** The stretch of waiting over which {@link #uploadMinRate()} is measured. Default 30s. */
    @WithDefault("30s")
    Duration uploadMinRateWindow();

    /**
     * Request bodies of 64 KB or more one tenant has parsed at once on one gateway, each on a
     * worker thread away from the event loops; the tenant's others wait their turn. Default 2.
     */
    @WithDefault("2")
    int maxLargeBodiesPerTenant();

    /**
     * One tenant's large bodies waiting for their turn to be parsed on one gateway (429 over it).
     * Default 32.
     */
    @WithDefault("32")
    int maxLargeBodiesWaitingPerTenant();

    /**
     * Bytes of one tenant's large bodies waiting for their turn to be parsed on one gateway, held
     * in memory meanwhile (429 over it). Default 16M.
     */
    @WithDefault("16M")
    MemorySize maxLargeBodiesWaitingBytesPerTenant();

    /** Bytes of one JSON Lines upload, as declared by its Content-Length. Default 1G. */
    @WithDefault("1G")
    MemorySize maxUploadSize();

    /**
     * Documents in all jobs of one bulk request together: a 4 MB body of one-character documents
     * would otherwise hold a million, and the gateway parses a bulk request whole. Default 100000.
     */
    @WithDefault("100000")
    int maxBatchDocuments();

    /** Largest deadline_ms a client may ask for. Default 24h. */
    @WithDefault("24h")
    Duration maxDeadline();

    /** Entries of a job's client metadata (string keys of up to 64 characters). Default 16. */
    @WithDefault("16")
    int maxMetadataEntries();

    /** Characters of one metadata value. Default 512. */
    @WithDefault("512")
    int maxMetadataValueChars();

    /**
     * Jobs one {@code GET /v1/rerank/jobs} looks at to fill a page when it filters by status or
     * metadata; the page then ends early with {@code has_more} and the client goes on from {@code
     * last_id}. Default 1000.
     */
    @WithDefault("1000")
    int maxListScan();

    /**
     * Entries of Cohere's {@code rank_fields} (names repeated count too; each name at most 256
     * characters): each object document is rendered to one line per name, so the product of names
     * and documents is work done before anything is queued. Default 32.
     */
    @WithDefault("32")
    int maxRankFields();

    /**
     * Model tokens one job may be charged at the door (each byte of its query, instruction and
     * document a token, plus a prompt allowance per pair, once per chunk): bounds what chunking and
     * a long query over many documents multiply. 422 over it. Default 20000000.
     */
    @WithDefault("20000000")
    long maxJobTokens();

    /**
     * Distinct {@code text_1} queries of one pairwise {@code /score} call: each is a job of its
     * own. Default 100.
     */
    @WithDefault("100")
    int maxScoreQueries();

    default RequestLimits toRequestLimits() {
        return new RequestLimits(
                maxDocuments(),
                maxQueryChars(),
                maxDocumentChars(),
                maxDeadline().toMillis(),
                maxMetadataEntries(),
                maxMetadataValueChars(),
                maxJobTokens());
    }
}
