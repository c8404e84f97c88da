package dev.rerankqueue.bench.emulator;

/**
 * Recognises the Qwen3-Reranker prompt template, so that the emulator scores the texts inside it.
 */
final class Qwen3Template {

    private Qwen3Template() {}

    static String queryOf(String text) {
        int q = text.indexOf("<Query>: ");
        return q < 0 ? text : text.substring(q + "<Query>: ".length()).strip();
    }

    static String documentOf(String text) {
        int d = text.indexOf("<Document>: ");
        if (d < 0) {
            return text;
        }
        String rest = text.substring(d + "<Document>: ".length());
        int end = rest.indexOf("<|im_end|>");
        return end < 0 ? rest : rest.substring(0, end);
    }
}
