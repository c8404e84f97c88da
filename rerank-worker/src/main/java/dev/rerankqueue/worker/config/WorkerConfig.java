package dev.rerankqueue.worker.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Every setting of the worker, under the {@code rerank.worker.} prefix. */
@ConfigMapping(prefix = "rerank.worker")
public interface WorkerConfig {

    /** Name of this worker in job state and logs. Default: host name and process id. */
    Optional<String> id();

    Batch batch();

    Scorer scorer();

    Results results();

    /** How pairs from many jobs are packed into scorer calls. */
    interface Batch {
        /** Most (query, document) pairs in one scorer call. Default 64. */
        @WithDefault("64")
        int maxPairs();

        /** Token budget of one scorer call (estimated before tokenizing), so long documents make smaller batches. Default 16384. */
        @WithDefault("16384")
        int maxTokens();

        /** Scorer calls in flight at once. Default 1 (the embedded scorer uses all cores per call). */
        @WithDefault("1")
        int inFlight();
    }

    /** The model that scores pairs. */
    interface Scorer {
        /** Which scorer: {@code onnx} (embedded, CPU). Default onnx. */
        @WithDefault("onnx")
        String type();

        /** Attempts per scorer call before its jobs fail. Default 3. */
        @WithDefault("3")
        int attempts();

        /** First retry delay, doubled per attempt. Default 200ms. */
        @WithDefault("200ms")
        Duration retryBackoff();

        Onnx onnx();
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

        /** How token vectors become one text vector: {@code cls} (BGE) or {@code mean} (MiniLM, E5). Default cls. */
        @WithDefault("cls")
        String pooling();

        /** Prefix added to queries, as the model was trained (BGE's retrieval instruction). Empty for none. */
        @WithDefault("Represent this sentence for searching relevant passages: ")
        String queryPrefix();

        /** Tokens per text; longer texts are cut at this many tokens, as the model cannot read more. Default 512. */
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

        /** How often a worker checks whether Redis lost the results and must be rebuilt from the results topic. Default 5s. */
        @WithDefault("5s")
        Duration restoreCheck();

        /** How long to keep retrying result writes while Redis is unreachable before the consumer gives up. Default 60s. */
        @WithDefault("60s")
        Duration writeRetryBudget();
    }
}
