package dev.rerankqueue.bench.emulator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each (query, document) pair came out of a forward pass, for a test in the emulator's JVM
 * that needs to tell which pairs the model scored more than once, and when. It keeps every pair it
 * sees, so it is off unless a test turns it on ({@link VllmEmulator#keepPairLedger()}).
 */
final class PairLedger {

    private final Map<String, List<Long>> passEnds = new ConcurrentHashMap<>();

    /**
     * Pair {@code i} is {@code queries[i]} with {@code documents[i]}; their pass ended {@code at}.
     */
    void scored(List<String> queries, List<String> documents, long at) {
        for (int i = 0; i < queries.size(); i++) {
            passEnds.computeIfAbsent(
                            queries.get(i) + '\n' + documents.get(i),
                            k -> Collections.synchronizedList(new ArrayList<>()))
                    .add(at);
        }
    }

    /** The pass ends (epoch ms, in order) of each pair scored more than once. */
    List<List<Long>> repeated() {
        List<List<Long>> out = new ArrayList<>();
        for (List<Long> ends : passEnds.values()) {
            synchronized (ends) {
                if (ends.size() > 1) {
                    List<Long> copy = new ArrayList<>(ends);
                    Collections.sort(copy);
                    out.add(copy);
                }
            }
        }
        return out;
    }
}
