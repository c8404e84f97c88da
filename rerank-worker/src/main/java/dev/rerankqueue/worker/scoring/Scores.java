package dev.rerankqueue.worker.scoring;

/**
 * What a scorer returns for one call: {@code values[i]} and {@code tokens[i]} belong to the i-th pair asked for.
 *
 * @param values relevance scores, higher is more relevant
 * @param tokens tokens the model read for each pair
 */
public record Scores(double[] values, int[] tokens) {
}
