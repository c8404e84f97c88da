package dev.rerankqueue.worker.scoring;

/**
 * What a scorer returns for one call: {@code values[i]} and {@code tokens[i]} belong to the i-th
 * pair asked for.
 *
 * @param values relevance scores, higher is more relevant
 * @param tokens tokens the model read for each pair
 * @param truncated whether the pair's document was cut at the model's token limit
 */
public record Scores(double[] values, int[] tokens, boolean[] truncated) {

    /** Scores of a scorer that never truncates (it refuses over-long input instead). */
    public Scores(double[] values, int[] tokens) {
        this(values, tokens, new boolean[values.length]);
    }
}
