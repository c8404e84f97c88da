package dev.rerankqueue.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

        /**
         * Requests sent over HTTP to the gateway's own submission routes, from the loopback
         * address, once its server listens and before it reports ready, so that a flood right after
         * start meets compiled HTTP, routing, body reading and error paths too. Each is refused at
         * validation (an empty query): nothing is queued, stored, charged or counted as a refusal.
         * They carry a credential made for this start and retired when they are done. Skipped on a
         * port chosen at random. 0 turns it off. Default 4000.
         */
        @WithDefault("4000")
        int httpRequests();

        /**
         * Longest the HTTP warm-up holds readiness: past it no more of its requests are sent (a
         * starved CPU would otherwise delay readiness by minutes). Default 20s.
         */
        @WithDefault("20s")
        Duration httpMaxTime();
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

        /**
         * Queue a job for a model whose workers have all stopped announcing (a pool scaled to zero,
         * which the job's lag starts again) instead of refusing it with 503 and Retry-After. A
         * model counts as known once a worker has announced it ({@code rerank:models:pools}).
         * Default false; true where pools scale from zero (the Kubernetes manifests).
         */
        @WithDefault("false")
        boolean queueWithoutWorkers();

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

    /** Idempotency-Key handling. */
    interface Idempotency {
        /** How long a key stays bound to its job. Default 24h. */
        @WithDefault("24h")
        Duration retention();
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
