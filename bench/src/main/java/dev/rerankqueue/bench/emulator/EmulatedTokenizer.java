package dev.rerankqueue.bench.emulator;

/**
 * Token counts as the emulator charges them: about four characters a token, as Qwen's tokenizer
 * gives on English.
 */
public final class EmulatedTokenizer {

    private EmulatedTokenizer() {}

    public static int count(String text) {
        return text == null || text.isEmpty() ? 0 : Math.max(1, (text.length() + 3) / 4);
    }
}
