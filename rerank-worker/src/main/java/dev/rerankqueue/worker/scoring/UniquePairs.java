package dev.rerankqueue.worker.scoring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The distinct pairs among a batch's input pairs, with the one mapping between them: input pair
 * {@code i} is unique pair {@link #of(int) of(i)}, and unique pair {@code u} stands for the input
 * pairs {@link #inputsOf(int) inputsOf(u)}. Equal pairs of different jobs are scored once.
 */
final class UniquePairs {

    private final List<ScorePair> unique;
    private final int[] uniqueOf;
    private final int[][] inputsOf;

    private UniquePairs(List<ScorePair> unique, int[] uniqueOf) {
        this.unique = unique;
        this.uniqueOf = uniqueOf;
        int[] count = new int[unique.size()];
        for (int u : uniqueOf) {
            count[u]++;
        }
        this.inputsOf = new int[unique.size()][];
        for (int u = 0; u < unique.size(); u++) {
            inputsOf[u] = new int[count[u]];
            count[u] = 0;
        }
        for (int i = 0; i < uniqueOf.length; i++) {
            int u = uniqueOf[i];
            inputsOf[u][count[u]++] = i;
        }
    }

    static UniquePairs of(List<ScorePair> input) {
        List<ScorePair> unique = new ArrayList<>();
        int[] uniqueOf = new int[input.size()];
        Map<ScorePair, Integer> index = new HashMap<>();
        for (int i = 0; i < input.size(); i++) {
            ScorePair p = input.get(i);
            Integer u = index.get(p);
            if (u == null) {
                u = unique.size();
                index.put(p, u);
                unique.add(p);
            }
            uniqueOf[i] = u;
        }
        return new UniquePairs(unique, uniqueOf);
    }

    /** How many distinct pairs there are. */
    int size() {
        return unique.size();
    }

    /** How many input pairs there are, duplicates included. */
    int inputCount() {
        return uniqueOf.length;
    }

    ScorePair get(int u) {
        return unique.get(u);
    }

    /** The unique pair that input pair {@code i} is. */
    int of(int i) {
        return uniqueOf[i];
    }

    /** The input pairs unique pair {@code u} stands for. */
    int[] inputsOf(int u) {
        return inputsOf[u];
    }

    /** The input pairs the unique pairs {@code uniques} stand for, duplicates included. */
    int[] inputsOf(List<Integer> uniques) {
        return uniques.stream().flatMapToInt(u -> Arrays.stream(inputsOf[u])).toArray();
    }

    /** Whether every input pair that unique pair {@code u} stands for passes {@code test}. */
    boolean allInputs(int u, IntPredicate test) {
        for (int i : inputsOf[u]) {
            if (!test.test(i)) {
                return false;
            }
        }
        return true;
    }
}
