package dev.rerankqueue.bench.emulator;

/**
 * Simulated GPU time of one forward pass of Qwen3-Reranker-0.6B on one H100, fitted to {@code
 * bench/calibration/h100-qwen3-reranker-0.6b-compiled.jsonl} (torch.compile with CUDA graphs, the
 * closest to what vLLM achieves). A forward over sequences of lengths L_i costs
 *
 * <pre>  t = (floor^k + work^k)^(1/k),  floor = f0 + f1 * max L,  work = c1 * sum L + c2 * sum L^2
 * </pre>
 *
 * a launch-bound floor for small batches, linear token cost plus quadratic attention for large
 * ones, joined smoothly. It reproduces every calibration row within 2.5 % ({@code CostModelTest}
 * holds it to 10 %).
 */
public record CostModel(double f0, double f1, double c1, double c2, double k) {

    /** Fitted to the compiled-cudagraphs H100 runs. */
    public static final CostModel H100_QWEN3_RERANKER_0_6B =
            new CostModel(1.8902, 4.0429e-4, 2.17458e-3, 6.79325e-7, 1.40033);

    /** Milliseconds for one forward over {@code sequences} sequences with these token totals. */
    public double millis(int sequences, long tokens, double sumOfSquares, int maxLength) {
        if (sequences == 0) {
            return 0;
        }
        double floor = f0 + f1 * maxLength;
        double work = c1 * tokens + c2 * sumOfSquares;
        return Math.pow(Math.pow(floor, k) + Math.pow(work, k), 1 / k);
    }

    /**
     * A padded batch of {@code batch} sequences of {@code length} tokens, as the calibration
     * measured.
     */
    public double millis(int batch, int length) {
        return millis(batch, (long) batch * length, (double) batch * length * length, length);
    }
}
