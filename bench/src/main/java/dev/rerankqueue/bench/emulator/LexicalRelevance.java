package dev.rerankqueue.bench.emulator;

import dev.rerankqueue.prompt.Qwen3Prompt;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The emulator's stand-in for the model's judgement: a deterministic score in (0, 1) from how many
 * of the query's content words the document contains, so that rankings through the whole system can
 * be asserted. Inputs in the Qwen3-Reranker prompt template are unwrapped first.
 */
public final class LexicalRelevance {

    private static final Set<String> STOP =
            Set.of(
                    "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from",
                    "how", "in", "is", "it", "of", "on", "or", "that", "the", "this", "to", "was",
                    "what", "when", "where", "which", "who", "why", "with");

    private LexicalRelevance() {}

    public static double score(String query, String document) {
        Set<String> q = words(Qwen3Prompt.queryOf(query));
        if (q.isEmpty()) {
            return 0.5;
        }
        Set<String> d = words(Qwen3Prompt.documentOf(document));
        int hits = 0;
        for (String w : q) {
            if (d.contains(w)) {
                hits++;
            }
        }
        double coverage = (double) hits / q.size();
        // a small, deterministic length preference breaks ties between equally covering documents
        double brevity = 1.0 / (1.0 + d.size() / 50.0);
        return 1.0 / (1.0 + Math.exp(-(8.0 * coverage - 4.0 + 0.1 * brevity)));
    }

    static Set<String> words(String text) {
        Set<String> out = new HashSet<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (w.length() > 1 && !STOP.contains(w)) {
                out.add(w.endsWith("s") && w.length() > 3 ? w.substring(0, w.length() - 1) : w);
            }
        }
        return out;
    }
}
