package dev.rerankqueue.prompt;

/**
 * Qwen3-Reranker's prompt template, written once: the worker wraps each pair in it before sending
 * it to vLLM, the benchmark feeds the model server the same text, and the vLLM emulator finds the
 * query and document inside it. A pair is sent as two texts: the query side (system prompt,
 * instruction, query) and the document side (document, end of turn, empty thinking block).
 */
public final class Qwen3Prompt {

    /** The system prompt and the start of the user turn, before the instruction. */
    public static final String PREFIX =
            "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and "
                    + "the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n";

    /** The end of the user turn and the assistant's empty thinking block, after the document. */
    public static final String SUFFIX =
            "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

    /** The instruction a job that names none is scored with, as Qwen3-Reranker's card gives it. */
    public static final String DEFAULT_INSTRUCTION =
            "Given a web search query, retrieve relevant passages that answer the query";

    private static final String INSTRUCT = "<Instruct>: ";
    private static final String QUERY = "<Query>: ";
    private static final String DOCUMENT = "<Document>: ";

    /** Characters the template adds around a pair's instruction, query and document. */
    public static final int TEMPLATE_CHARS = queryText("", "").length() + documentText("").length();

    private Qwen3Prompt() {}

    /** The query side of a pair. */
    public static String queryText(String instruction, String query) {
        return PREFIX + INSTRUCT + instruction + "\n" + QUERY + query + "\n";
    }

    /** The document side of a pair. */
    public static String documentText(String document) {
        return DOCUMENT + document + SUFFIX;
    }

    /** The query inside a query side, or {@code text} itself when it is not in the template. */
    public static String queryOf(String text) {
        int q = text.indexOf(QUERY);
        return q < 0 ? text : text.substring(q + QUERY.length()).strip();
    }

    /**
     * The document inside a document side, or {@code text} itself when it is not in the template.
     */
    public static String documentOf(String text) {
        int d = text.indexOf(DOCUMENT);
        if (d < 0) {
            return text;
        }
        String rest = text.substring(d + DOCUMENT.length());
        int end = rest.indexOf("<|im_end|>");
        return end < 0 ? rest : rest.substring(0, end);
    }
}
