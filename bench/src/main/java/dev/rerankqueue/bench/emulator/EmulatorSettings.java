package dev.rerankqueue.bench.emulator;

/**
 * The emulator's settings, as vLLM's flags name them.
 *
 * @param priorityScheduling vLLM's {@code --scheduling-policy priority}: requests' {@code
 *     priority}, lower first
 * @param debugEndpoints serve {@code /emulator/last-request} (a caller's query and documents) and
 *     {@code POST /emulator/faults} (which can halt the process): for tests only, off by default
 */
public record EmulatorSettings(
        String host,
        int port,
        String model,
        int maxNumSeqs,
        int maxNumBatchedTokens,
        int maxModelLen,
        double timeScale,
        Faults faults,
        boolean priorityScheduling,
        boolean debugEndpoints) {
    public static EmulatorSettings defaults(int port) {
        return new EmulatorSettings(
                "127.0.0.1",
                port,
                "Qwen/Qwen3-Reranker-0.6B",
                256,
                16384,
                32768,
                1.0,
                Faults.NONE,
                false,
                false);
    }

    public EmulatorSettings withMaxModelLen(int tokens) {
        return new EmulatorSettings(
                host,
                port,
                model,
                maxNumSeqs,
                maxNumBatchedTokens,
                tokens,
                timeScale,
                faults,
                priorityScheduling,
                debugEndpoints);
    }

    public EmulatorSettings withMaxNumSeqs(int seqs) {
        return new EmulatorSettings(
                host,
                port,
                model,
                seqs,
                maxNumBatchedTokens,
                maxModelLen,
                timeScale,
                faults,
                priorityScheduling,
                debugEndpoints);
    }

    public EmulatorSettings withPriorityScheduling() {
        return new EmulatorSettings(
                host,
                port,
                model,
                maxNumSeqs,
                maxNumBatchedTokens,
                maxModelLen,
                timeScale,
                faults,
                true,
                debugEndpoints);
    }

    public EmulatorSettings withDebugEndpoints() {
        return new EmulatorSettings(
                host,
                port,
                model,
                maxNumSeqs,
                maxNumBatchedTokens,
                maxModelLen,
                timeScale,
                faults,
                priorityScheduling,
                true);
    }
}
