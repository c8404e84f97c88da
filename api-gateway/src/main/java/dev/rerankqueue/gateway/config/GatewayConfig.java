package dev.rerankqueue.gateway.config;

import dev.rerankqueue.job.RequestLimits;
import dev.rerankqueue.messaging.Topics;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Every setting of the gateway, under the {@code rerank.} prefix. */
@ConfigMapping(prefix = "rerank")
public interface GatewayConfig {

    /**
     * API keys, as {@code tenant:key} or {@code tenant:sha256:<hex>} entries (env {@code
     * RERANK_API_KEYS=acme:k1,globex:k2}). When set, every endpoint but {@code /q/*} needs one
     * (metrics: see {@link #metrics()}). Default: none (auth off, single tenant).
     */
    Optional<List<String>> apiKeys();

    /**
     * Authentication fails closed: with this on and no API keys, the gateway refuses to start, so a
     * missing or misnamed key Secret never turns every caller into one tenant that can read and
     * cancel every job. Turn it off explicitly to run without keys (deploy/local/up.sh does, on
     * loopback, when RERANK_API_KEYS is unset). Default true.
     */
    @WithName("auth.required")
    @WithDefault("true")
    boolean authRequired();

    /** Tenant that owns every job while no API keys are configured. Default {@code default}. */
    @WithDefault("default")
    String defaultTenant();

    /**
     * Model name reported for a job before a worker has scored it, when the request names none.
     * Default {@code default}.
     */
    @WithDefault("default")
    String defaultModel();

    Limits limits();

    /** Which model names a request may ask for. */
    Models models();

    Sync sync();

    Kafka kafka();

    Results results();

    Events events();

    Idempotency idempotency();

    /** Warming the accept path before the gateway reports ready. */
    Warmup warmup();

    interface Warmup {
        /**
         * Requests' worth of the accept path's own work (parse, validate, encode the job and the
         * answer) run before the gateway reports ready, so that a burst right after start meets
         * compiled code, not the interpreter; 0 turns it off. Nothing is queued or stored. Default
         * 5000.
         */
        @WithDefault("5000")
        int requests();
    }

    /** Completion webhooks: where they may go, how they are signed and retried. */
    Webhooks webhooks();

    Admission admission();

    /**
     * Who may read {@code /q/metrics} while API keys are on (with auth off, a local stack, it is
     * open).
     */
    Metrics metrics();

    interface Models {

        /**
         * Names a request may use besides the served model's own, to the served name they stand
         * for, or {@code *} for whichever model the workers serve ({@code
         * rerank.models.aliases."rerank-v3.5"=*}). Defaults: {@code default} and Cohere's current
         * rerank model names, so that existing clients work unchanged.
         */
        Map<String, String> aliases();

        /**
         * Refuse a request that names a model no worker serves with 404 (as vLLM and Cohere do),
         * and with 503 and Retry-After while no worker has announced its model yet. False accepts
         * any name. Default true.
         */
        @WithDefault("true")
        boolean check();

        /** How often a gateway reads the workers' model announcements from Redis. Default 1s. */
        @WithDefault("1s")
        Duration refresh();
    }

    interface Metrics {
        /**
         * Bearer token the metrics scraper sends (Prometheus {@code authorization.credentials}).
         * Default: none.
         */
        Optional<String> token();

        /**
         * Serve metrics to anyone even with API keys on (a scraper that cannot send a token, on a
         * closed network). Default false.
         */
        @WithDefault("false")
        boolean open();
    }

    Quotas quotas();

    /**
     * Admission control on the backlog: new jobs are refused (503 + Retry-After) while the jobs
     * already waiting would take longer than {@link #maxBacklog()} to drain at the drain rate
     * measured from the workers' committed offsets (until that is known, at the capacity the
     * workers announce).
     */
    interface Admission {
        /** Default true. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Longest estimated wait at which a job is still accepted. Sync calls use their own timeout
         * if shorter. Default 5m.
         */
        @WithDefault("5m")
        Duration maxBacklog();

        /**
         * Never refuse while fewer jobs than this wait: a handful of jobs says little about the
         * wait. Default 100.
         */
        @WithDefault("100")
        long minBacklogJobs();

        /**
         * Whether, until the drain rate is measured, the workers' announced capacity stands in for
         * it (refusing a burst from its first second); false waits for the measured rate. Default
         * true.
         */
        @WithDefault("true")
        boolean announcedCapacity();

        /** How often the consumer group's lag and committed offsets are read. Default 1s. */
        @WithDefault("1s")
        Duration sampleInterval();

        /**
         * Busy time (time with a backlog) over which the drain rate is averaged; a third of it is
         * needed before any refusal. Default 30s.
         */
        @WithDefault("30s")
        Duration rateWindow();

        /** The workers' consumer group. Default {@value Topics#WORKER_GROUP}. */
        @WithDefault(Topics.WORKER_GROUP)
        String consumerGroup();

        /** Upper bound of the computed Retry-After. Default 60s. */
        @WithDefault("60s")
        Duration maxRetryAfter();

        /**
         * Share of Redis's {@code maxmemory} at which new jobs are refused (503 storage-full), so
         * that Redis never refuses the state writes of jobs already accepted. Default 0.9.
         */
        @WithDefault("0.9")
        double storageHighWater();

        /** How often Redis's memory is read for {@link #storageHighWater()}. Default 1s. */
        @WithDefault("1s")
        Duration storageCheckInterval();

        /**
         * Most submissions this gateway handles at once (between reading the request and answering
         * it); one more is refused at once with 503 {@code overloaded} and Retry-After, rather than
         * queued behind the others until every caller times out. The limit in force adapts below
         * this to {@link #acceptLatencyTarget()}. Default 512.
         */
        @WithDefault("512")
        int maxInFlightSubmissions();

        /**
         * Accept latency the in-flight limit adapts to: it starts at {@link
         * #maxInFlightSubmissions()} and, once a second, shrinks by a quarter when that second's
         * mean accept was slower than this and grows by one when it was faster, never below {@link
         * #minInFlightSubmissions()}; 0 = a fixed limit of {@link #maxInFlightSubmissions()}.
         * Default 100ms.
         */
        @WithDefault("100ms")
        Duration acceptLatencyTarget();

        /**
         * The adaptive in-flight limit never goes below this: so many clients each waiting for its
         * answer are never refused as overload, however slow the accepts. Default 64.
         */
        @WithDefault("64")
        int minInFlightSubmissions();
    }

    /**
     * Per-tenant quotas, answered with 429 + Retry-After. Each has a default for all tenants and
     * per-tenant overrides.
     */
    interface Quotas {
        /** Accepted jobs of one tenant that are not finished yet; 0 = no limit. Default 10000. */
        @WithDefault("10000")
        int maxInFlightJobs();

        /**
         * Documents ((query, document) pairs) of one tenant's accepted jobs that are not finished
         * yet; 0 = no limit. With {@link #maxInFlightJobs()} it bounds what one tenant can put in
         * front of everyone else's jobs. Default 1000000.
         */
        @WithDefault("1000000")
        long maxInFlightPairs();

        /**
         * (query, document) pairs one tenant may submit per second, as a token bucket; 0 = no
         * limit. Default 0.
         */
        @WithDefault("0")
        double pairsPerSecond();

        /**
         * Model tokens one tenant may submit per second, as each job is charged at the door (an
         * upper bound of what the model reads: see {@code JobCost}); a token bucket shared by all
         * gateways through Redis, of {@link #burst()} seconds. 0 = no limit. Default 0.
         */
        @WithDefault("0")
        double tokensPerSecond();

        /**
         * Size of the pairs bucket, in seconds of {@link #pairsPerSecond()}. A job larger than the
         * bucket passes when it is full. Default 2s.
         */
        @WithDefault("2s")
        Duration burst();

        /** Retry-After of a 429 for too many jobs in flight. Default 2s. */
        @WithDefault("2s")
        Duration inFlightRetryAfter();

        /** Open SSE streams of one tenant on one gateway instance; 0 = no limit. Default 1000. */
        @WithDefault("1000")
        int maxSseConnections();

        /**
         * Most of Redis's {@code maxmemory} one tenant's stored jobs may take (their states and
         * results, estimated at the door from what each asks: {@code return_documents} stores the
         * documents' text), so that one tenant cannot bring Redis to {@code storage-full} for
         * everyone; over it the tenant's next job is a 429 until its stored jobs expire. 0 = no
         * limit; no limit either while Redis has no {@code maxmemory}. Default 0.5.
         */
        @WithDefault("0.5")
        double maxStoredShare();

        /** Overrides per tenant: {@code rerank.quotas.tenant."acme".pairs-per-second=500}. */
        Map<String, TenantQuota> tenant();

        interface TenantQuota {
            OptionalInt maxInFlightJobs();

            OptionalLong maxInFlightPairs();

            OptionalDouble pairsPerSecond();

            OptionalDouble tokensPerSecond();

            OptionalInt maxSseConnections();

            OptionalDouble maxStoredShare();
        }

        default double maxStoredShare(String tenant) {
            TenantQuota q = tenant().get(tenant);
            return q != null && q.maxStoredShare().isPresent()
                    ? q.maxStoredShare().getAsDouble()
                    : maxStoredShare();
        }

        default int maxInFlightJobs(String tenant) {
            TenantQuota q = tenant().get(tenant);
            return q != null && q.maxInFlightJobs().isPresent()
                    ? q.maxInFlightJobs().getAsInt()
                    : maxInFlightJobs();
        }

        default long maxInFlightPairs(String tenant) {
            TenantQuota q = tenant().get(tenant);
            return q != null && q.maxInFlightPairs().isPresent()
                    ? q.maxInFlightPairs().getAsLong()
                    : maxInFlightPairs();
        }

        default double pairsPerSecond(String tenant) {
            TenantQuota q = tenant().get(tenant);
            return q != null && q.pairsPerSecond().isPresent()
                    ? q.pairsPerSecond().getAsDouble()
                    : pairsPerSecond();
        }

        default double tokensPerSecond(String tenant) {
            TenantQuota q = tenant().get(tenant);
            return q != null && q.tokensPerSecond().isPresent()
                    ? q.tokensPerSecond().getAsDouble()
                    : tokensPerSecond();
        }

        default int maxSseConnections(String tenant) {
            TenantQuota q = tenant().get(tenant);
            return q != null && q.maxSseConnections().isPresent()
                    ? q.maxSseConnections().getAsInt()
                    : maxSseConnections();
        }
    }

    /** Idempotency-Key handling. */
    interface Idempotency {
        /** How long a key stays bound to its job. Default 24h. */
        @WithDefault("24h")
        Duration retention();
    }

    /** Bounds on one request; over a bound is a 413 or 422, never a silent truncation. */
    interface Limits {
        /** Largest request body. Default 4M. */
        @WithDefault("4M")
        MemorySize maxBodySize();

        /**
         * Documents per job: Cohere's ceiling (it recommends at most 1,000 and takes up to 10,000);
         * the worker splits a job into micro-batches the model takes. Default 10000.
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
         * JSON Lines uploads one tenant may send to one gateway at once (429 over it; 0 = no
         * limit): each holds a worker thread for as long as its client sends. Default 2.
         */
        @WithDefault("2")
        int maxUploadsPerTenant();

        /**
         * Request bodies of 64 KB or more one tenant has parsed at once on one gateway, each on a
         * worker thread away from the event loops; the tenant's others wait their turn. Default 2.
         */
        @WithDefault("2")
        int maxLargeBodiesPerTenant();

        /**
         * One tenant's large bodies waiting for their turn to be parsed on one gateway (429 over
         * it). Default 32.
         */
        @WithDefault("32")
        int maxLargeBodiesWaitingPerTenant();

        /**
         * Bytes of one tenant's large bodies waiting for their turn to be parsed on one gateway,
         * held in memory meanwhile (429 over it). Default 16M.
         */
        @WithDefault("16M")
        MemorySize maxLargeBodiesWaitingBytesPerTenant();

        /** Bytes of one JSON Lines upload, as declared by its Content-Length. Default 1G. */
        @WithDefault("1G")
        MemorySize maxUploadSize();

        /**
         * Documents in all jobs of one bulk request together: a 4 MB body of one-character
         * documents would otherwise hold a million, and the gateway parses a bulk request whole.
         * Default 100000.
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
         * metadata; the page then ends early with {@code has_more} and the client goes on from
         * {@code last_id}. Default 1000.
         */
        @WithDefault("1000")
        int maxListScan();

        /**
         * Entries of Cohere's {@code rank_fields} (names repeated count too; each name at most 256
         * characters): each object document is rendered to one line per name, so the product of
         * names and documents is work done before anything is queued. Default 32.
         */
        @WithDefault("32")
        int maxRankFields();

        /**
         * Model tokens one job may be charged at the door (each byte of its query, instruction and
         * document a token, plus a prompt allowance per pair, once per chunk): bounds what chunking
         * and a long query over many documents multiply. 422 over it. Default 20000000.
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

    /** The synchronous drop-in endpoints. */
    interface Sync {
        /**
         * How long a sync call waits for its job before answering 504 with the job id. Default 30s.
         */
        @WithDefault("30s")
        Duration timeout();

        /**
         * Retries attach to the job already running. Client SDKs retry a 504 or 502 without an
         * Idempotency-Key (the Cohere SDKs twice by default): a sync call with the same body from
         * the same tenant within this window, while the first call's job is queued, running or
         * succeeded, waits for that job instead of queueing another. A call after the job failed,
         * was cancelled or expired gets a new job. 0 turns it off. Default 5m.
         */
        @WithDefault("5m")
        Duration retryWindow();

        /**
         * How long a sync call's job and its scores stay readable (by polling the job id of a 504,
         * or by a retry). The stored result never holds the documents' text: the answer takes it
         * from the request. Default 15m.
         */
        @WithDefault("15m")
        Duration resultRetention();
    }

    /** Producing jobs. */
    interface Kafka {
        /**
         * How long a submit waits for Kafka's acknowledgement before answering 503. Default 10s.
         */
        @WithDefault("10s")
        Duration sendTimeout();

        /** Retry-After sent with a 503 when Kafka did not take the job. Default 5s. */
        @WithDefault("5s")
        Duration retryAfter();
    }

    /** Completion webhooks: where they may go, how they are signed and retried. */
    interface Webhooks {
        /**
         * Host names a job's {@code webhook} may name: exact names, or {@code *.example.com} for
         * any name under it, or {@code *} for any public host. Default: none, which turns webhooks
         * off (a request naming one is a 422).
         */
        Optional<List<String>> allowedHosts();

        /**
         * Addresses in loopback, link-local, private or other non-public ranges that a webhook may
         * still reach, as IPs or CIDR blocks ({@code 10.1.0.0/16}). Every address a host name
         * resolves to is checked before each attempt. Default: none.
         */
        Optional<List<String>> allowedPrivateAddresses();

        /** Whether plain {@code http://} webhooks are allowed besides https. Default false. */
        @WithDefault("false")
        boolean allowHttp();

        /**
         * The signing secret of each tenant: {@code rerank.webhooks.secrets."acme"=whsec_<base64>}
         * (or any string, used as its UTF-8 bytes). A tenant without one cannot name a webhook.
         */
        Map<String, String> secrets();

        /** Time one delivery attempt may take. Default 10s. */
        @WithDefault("10s")
        Duration timeout();

        /** Wait before the second attempt; each later wait doubles. Default 1s. */
        @WithDefault("1s")
        Duration initialBackoff();

        /** Longest wait between two attempts. Default 10m. */
        @WithDefault("10m")
        Duration maxBackoff();

        /**
         * Attempts stop this long after the first one, and the delivery is marked failed (also kept
         * no longer than the job itself). Default 24h.
         */
        @WithDefault("24h")
        Duration giveUpAfter();

        /** How often each gateway looks for deliveries that are due. Default 500ms. */
        @WithDefault("500ms")
        Duration pollInterval();

        /**
         * How often a batch with a webhook is looked at to see whether all its jobs have ended.
         * Default 2s.
         */
        @WithDefault("2s")
        Duration batchCheckInterval();

        /** Deliveries one gateway has in flight at once. Default 32. */
        @WithDefault("32")
        int maxInFlight();

        /**
         * Deliveries of one tenant a gateway sends at once: a tenant whose receivers are slow or
         * down holds at most this many senders, and its further due deliveries wait their turn (a
         * second later, no attempt counted) while other tenants' go out. Default 8.
         */
        @WithDefault("8")
        int maxInFlightPerTenant();

        /** Whether webhooks are on: some host is allowed. */
        default boolean enabled() {
            return allowedHosts().map(h -> !h.isEmpty()).orElse(false);
        }
    }

    /** Job state in Redis. */
    interface Results {
        /** How long a job and its result stay readable after the last write. Default 24h. */
        @WithDefault("24h")
        Duration retention();
    }

    /** Following jobs (SSE and sync waits). */
    interface Events {
        /** Interval of SSE heartbeat comments. Default 15s. */
        @WithDefault("15s")
        Duration heartbeat();

        /**
         * A follower re-reads the job this often even without a pub/sub event, so a lost message
         * only delays. Default 2s.
         */
        @WithDefault("2s")
        Duration fallbackPoll();
    }
}
