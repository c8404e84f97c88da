package dev.rerankqueue.gateway.config;

import dev.rerankqueue.job.RequestLimits;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Every setting of the gateway, under the {@code rerank.} prefix. */
@ConfigMapping(prefix = "rerank")
public interface GatewayConfig {

    /**
     * API keys, as {@code tenant:key} or {@code tenant:sha256:<hex>} entries (env {@code RERANK_API_KEYS=acme:k1,globex:k2}).
     * When set, every endpoint but {@code /q/*} needs one. Default: none (auth off, single tenant).
     */
    Optional<List<String>> apiKeys();

    /** Tenant that owns every job while no API keys are configured. Default {@code default}. */
    @WithDefault("default")
    String defaultTenant();

    /** Model name reported for a job before a worker has scored it, when the request names none. Default {@code default}. */
    @WithDefault("default")
    String defaultModel();

    Limits limits();

    Sync sync();

    Kafka kafka();

    Results results();

    Events events();

    Idempotency idempotency();

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

        /** Documents per job. Default 1000. */
        @WithDefault("1000")
        int maxDocuments();

        /** Characters in a query (and an instruction). Default 16384. */
        @WithDefault("16384")
        int maxQueryChars();

        /** Characters in one document. Default 131072. */
        @WithDefault("131072")
        int maxDocumentChars();

        /** Largest deadline_ms a client may ask for. Default 24h. */
        @WithDefault("24h")
        Duration maxDeadline();

        default RequestLimits toRequestLimits() {
            return new RequestLimits(maxDocuments(), maxQueryChars(), maxDocumentChars(), maxDeadline().toMillis());
        }
    }

    /** The synchronous drop-in endpoints. */
    interface Sync {
        /** How long a sync call waits for its job before answering 504 with the job id. Default 30s. */
        @WithDefault("30s")
        Duration timeout();
    }

    /** Producing jobs. */
    interface Kafka {
        /** How long a submit waits for Kafka's acknowledgement before answering 503. Default 10s. */
        @WithDefault("10s")
        Duration sendTimeout();

        /** Retry-After sent with a 503 when Kafka did not take the job. Default 5s. */
        @WithDefault("5s")
        Duration retryAfter();
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

        /** A follower re-reads the job this often even without a pub/sub event, so a lost message only delays. Default 2s. */
        @WithDefault("2s")
        Duration fallbackPoll();
    }
}
