package dev.rerankqueue.worker.config;

import dev.rerankqueue.messaging.ModelPool;
import dev.rerankqueue.prompt.Qwen3Prompt;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Every setting of the worker, under the {@code rerank.worker.} prefix. */
@ConfigMapping(prefix = "rerank.worker")
public interface WorkerConfig {

    /** Name of this worker in job state and logs. Default: host name and process id. */
    Optional<String> id();

    /**
     * How long a worker given a job that another live worker is running (partitions moved while it
     * scored) waits for that worker's result before taking the job over; the other jobs of its
     * batch wait with it. Default 10s.
     */
    @WithDefault("10s")
    Duration takeOverWait();

    /**
     * The model pool this worker is in ({@link ModelPool}): the jobs topics it reads and its
     * consumer group. Workers serving another model than the default pool's run in a pool of their
     * own. Default {@value ModelPool#DEFAULT}.
     */
    @WithDefault(ModelPool.DEFAULT)
    String pool();

    Batch batch();

    Scorer scorer();

    Results results();

    /** Scores already computed, per model. */
    Cache cache();

    /**
     * What this worker tells the gateways it can score, for admission from the first second of a
     * burst.
     */
    CapacityConfig capacity();

    interface Cache {
        /**
         * Scored pairs remembered (least recently used out first); 0 turns the cache off. Default
         * 100000.
         */
        @WithDefault("100000")
        long maxEntries();

        /** How long a score is remembered. Default 1h. */
        @WithDefault("1h")
        Duration ttl();

        /**
         * Whether one tenant's job may be answered from scores of another tenant's pairs. Off by
         * default: a hit shows as a job scored in no time, which tells a tenant that another scored
         * the same pair. Turn it on only where the tenants trust each other. Default false.
         */
        @WithDefault("false")
        boolean sharedAcrossTenants();
    }

    /** Stopping (SIGTERM). */
    Shutdown shutdown();

    interface Shutdown {
        /**
         * How long a stopping worker keeps finishing the batches it holds (after pausing its
         * consumers) before it closes them; what is unfinished then is handed back uncommitted.
         * Keep it under the orchestrator's grace period (Kubernetes: 30 s). Default 25s.
         */
        @WithDefault("25s")
        Duration drainTimeout();
    }

    /** How pairs from many jobs are packed into scorer calls. */
    interface Batch {
        /** Most (query, document) pairs in one scorer call. Default 64. */
        @WithDefault("64")
        int maxPairs();

        /**
         * Token budget of one scorer call (estimated before tokenizing), so long documents make
         * smaller batches. Default 16384.
         */
        @WithDefault("16384")
        int maxTokens();

        /**
         * Scorer calls in flight at once per worker, both priority lanes together. Default: twice
         * the scorer's own (2 for the embedded model, which uses every core per call; 2 x
         * rerank.worker.scorer.vllm.in-flight for vLLM, so the GPU always has the next batch
         * queued).
         */
        Optional<Integer> inFlight();

        /**
         * Kafka batches one consumer has being claimed, scored and recorded at once: the next batch
         * reaches the scorer while the previous one is still on the GPU, so at low load a job does
         * not wait for another job's forward pass. Offsets are committed strictly in order all the
         * same (a partition's offset never passes a job whose result is not stored); 1 processes
         * one batch at a time. Default 2.
         */
        @WithDefault("2")
        int kafkaBatchesInFlight();

        /**
         * Past {@link #kafkaBatchesInFlight()}, up to four times as many batches per consumer while
         * their records stay under this many bytes, so a quiet tenant's job is claimed while a busy
         * tenant's batches are scored. Default 4194304 (4 MiB).
         */
        @WithDefault("4194304")
        long lookAheadBytes();
    }

    /**
     * Score checkpoints: the scores of a running job's pairs, kept in Redis as scorer calls end, so
     * that a worker taking the job over (its first worker died or froze) scores only what is
     * missing.
     */
    Checkpoints checkpoints();

    interface Checkpoints {
        /** Whether scores are checkpointed. Default true. */
        @WithDefault("true")
        boolean enabled();

        /**
         * How long a checkpoint outlives its last write when no worker finishes its job; keep it
         * above the time a job takes to be taken over (the consumer session timeout plus a
         * rebalance). Default 10m.
         */
        @WithDefault("10m")
        Duration ttl();
    }

    /**
     * Progress of large jobs: pairs scored so far, readable on the job and sent as {@code progress}
     * SSE events.
     */
    Progress progress();

    interface Progress {
        /** Jobs with at least this many pairs report progress; 0 turns it off. Default 256. */
        @WithDefault("256")
        int minPairs();

        /** Least time between two progress writes of one job. Default 250ms. */
        @WithDefault("250ms")
        Duration interval();
    }

    /** How the scorer's slots are shared between the interactive and the batch lane. */
    Lanes lanes();

    /** How the scorer is shared between tenants inside each lane. */
    Fairness fairness();

    interface Lanes {
        /**
         * Share of the freed scorer slots that go to interactive calls while both lanes have calls
         * waiting. Default 9.
         */
        @WithDefault("9")
        int interactiveWeight();

        /**
         * Share of the freed scorer slots that go to batch calls while both lanes have calls
         * waiting. Default 1.
         */
        @WithDefault("1")
        int batchWeight();

        /**
         * Most scorer slots the batch lane holds at once. The model server queues calls in arrival
         * order, so each batch call in flight is queue an interactive call waits behind. Default:
         * half the slots, at least 1.
         */
        Optional<Integer> batchMaxSlots();
    }

    /** The model that scores pairs. */
    interface Scorer {
        /**
         * Which scorer: {@code onnx} (the embedded model, on the CPU) or {@code vllm} (a vLLM
         * server, rerank.worker.scorer.vllm.*). Default onnx.
         */
        @WithDefault("onnx")
        ScorerType type();

        /**
         * Attempts per scorer call before its jobs fail (retryable errors only: 5xx, timeouts, open
         * breaker). Default 10.
         */
        @WithDefault("10")
        int attempts();

        /** First retry delay; doubled per attempt, with jitter. Default 200ms. */
        @WithDefault("200ms")
        Duration retryBackoff();

        /** Longest retry delay. Default 10s. */
        @WithDefault("10s")
        Duration retryMaxBackoff();

        /**
         * Time after the first failure when retrying stops and the call's jobs fail (and go to the
         * DLQ). Default 60s.
         */
        @WithDefault("60s")
        Duration retryBudget();

        Onnx onnx();

        Vllm vllm();
    }

    /**
     * A co-located vLLM serving a cross-encoder reranker (Qwen3-Reranker); the emulator in bench
     * speaks the same API.
     */
    interface Vllm {
        /** Base URL of vLLM. Default http://127.0.0.1:8000. */
        @WithDefault("http://127.0.0.1:8000")
        String url();

        /** Model name sent to vLLM and reported in results. Default Qwen/Qwen3-Reranker-0.6B. */
        @WithDefault("Qwen/Qwen3-Reranker-0.6B")
        String model();

        /**
         * {@code score}: pairs of many jobs in one /score call; {@code rerank}: one /rerank call
         * per job. Default score.
         */
        @WithDefault("score")
        VllmApi api();

        /**
         * Whether to wrap pairs in the Qwen3-Reranker prompt template (needed for the original
         * Qwen3-Reranker). Default true.
         */
        @WithDefault("true")
        boolean qwen3Template();

        /**
         * Task instruction used when a job gives none. Default: Qwen3-Reranker's web-search
         * instruction.
         */
        @WithDefault(Qwen3Prompt.DEFAULT_INSTRUCTION)
        String instruction();

        /**
         * The model's context in tokens (vLLM's {@code --max-model-len}): a pair whose prompt would
         * be longer has its document cut to fit, and is counted in {@code
         * usage.truncated_documents} (a job with {@code "truncate": false} fails instead). Default:
         * what vLLM's /v1/models reports.
         */
        Optional<Integer> maxModelLen();

        /**
         * Characters per token in the estimate that decides where a document is cut (Qwen's
         * tokenizer gives about 4 on English, fewer on code and CJK text). A pair the estimate lets
         * through and vLLM still refuses fails its own job alone. Default 4.
         */
        @WithDefault("4")
        int charsPerToken();

        /** Timeout of one call. Default 30s. */
        @WithDefault("30s")
        Duration timeout();

        /** Calls in flight at once. Default 4. */
        @WithDefault("4")
        int inFlight();

        /**
         * Send each call's lane as vLLM's request {@code priority} (0 interactive, 2 batch; one
         * more for a call of jobs from the lane's overflow topic, whose tenant was past its front),
         * so a vLLM started with {@code --scheduling-policy priority} serves interactive calls
         * before batch calls it already queued, and each lane's other calls before overflowed ones.
         * Only for such a vLLM: with the default first-come-first-served policy vLLM refuses a
         * priority other than 0. Default false.
         */
        @WithDefault("false")
        boolean priorityScheduling();

        /** Consecutive failed calls that open the circuit breaker. Default 5. */
        @WithDefault("5")
        int breakerFailures();

        /** How long an open breaker fails calls at once before letting one through. Default 10s. */
        @WithDefault("10s")
        Duration breakerOpen();

        /** How often vLLM's /health is polled for readiness. Default 5s. */
        @WithDefault("5s")
        Duration healthInterval();
    }

    /** The embedded ONNX Runtime scorer. */
    interface Onnx {
        /** Model name reported in results. Default bge-small-en-v1.5. */
        @WithDefault("bge-small-en-v1.5")
        String modelName();

        /** An .onnx file to load instead of the model shipped in the worker jar. */
        Optional<String> modelPath();

        /** The tokenizer.json matching {@code model-path}. */
        Optional<String> tokenizerPath();

        /**
         * How token vectors become one text vector: {@code cls} (BGE) or {@code mean} (MiniLM, E5).
         * Default cls.
         */
        @WithDefault("cls")
        Pooling pooling();

        /**
         * Prefix added to queries, as the model was trained (BGE's retrieval instruction). Empty
         * for none.
         */
        @WithDefault("Represent this sentence for searching relevant passages: ")
        String queryPrefix();

        /**
         * Tokens per text; longer texts are cut at this many tokens, as the model cannot read more.
         * Default 512.
         */
        @WithDefault("512")
        int maxLength();

        /** ONNX Runtime intra-op threads; 0 lets it use every core. Default 0. */
        @WithDefault("0")
        int threads();
    }

    /** Job state in Redis. */
    interface Results {
        /** How long a job and its result stay readable after the last write. Default 24h. */
        @WithDefault("24h")
        Duration retention();

        /**
         * How often a worker checks whether Redis lost the results and must be rebuilt from the
         * results topic. Default 5s.
         */
        @WithDefault("5s")
        Duration restoreCheck();

        /**
         * How long to keep retrying result writes while Redis is unreachable before the consumer
         * gives up. Default 60s.
         */
        @WithDefault("60s")
        Duration writeRetryBudget();
    }

    /** Which model scores pairs ({@code rerank.worker.scorer.type}). */
    enum ScorerType {
        ONNX,
        VLLM
    }

    /** How the vLLM scorer calls the server ({@code rerank.worker.scorer.vllm.api}). */
    enum VllmApi {
        /** Pairs of many jobs in one {@code /score} call. */
        SCORE,
        /** One {@code /rerank} call per job. */
        RERANK
    }

    /** How the embedded model's token vectors become one vector ({@code ...onnx.pooling}). */
    enum Pooling {
        /** The first token's vector (BGE). */
        CLS,
        /** The mean of the token vectors (MiniLM, E5). */
        MEAN
    }
}
