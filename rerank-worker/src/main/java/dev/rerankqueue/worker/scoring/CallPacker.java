package dev.rerankqueue.worker.scoring;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Groups pairs into scorer calls of at most {@code maxPairs} pairs and {@code maxTokens} estimated
 * tokens, shortest pairs first, so a call pads little. A pair over the token budget alone gets a
 * call of its own.
 */
record CallPacker(int maxPairs, int maxTokens) {

    /** Indices of {@code pairs} grouped into scorer calls, shortest pairs first. */
    List<List<Integer>> pack(List<ScorePair> pairs) {
        List<Integer> order = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> pairs.get(i).estimatedTokens()));
        List<List<Integer>> calls = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        int tokens = 0;
        for (int i : order) {
            int t = pairs.get(i).estimatedTokens();
            if (!current.isEmpty() && (current.size() >= maxPairs || tokens + t > maxTokens)) {
                calls.add(current);
                current = new ArrayList<>();
                tokens = 0;
            }
            current.add(i);
            tokens += t;
        }
        if (!current.isEmpty()) {
            calls.add(current);
        }
        return calls;
    }
}
