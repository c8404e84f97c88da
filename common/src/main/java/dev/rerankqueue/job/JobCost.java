package dev.rerankqueue.job;

/**
 * What a job may cost the model server, estimated once at the door from what it asks and charged to
 * its tenant: the (query, document) pairs the model scores at most (one per document, one per chunk
 * of a chunked one) and the tokens it reads at most. Quotas, admission and the metrics count this
 * figure; the worker scores no more pairs than it (a document with more chunks than charged is cut
 * and counted as truncated) and reports the tokens the model really read beside it.
 *
 * <p>The gateway has no tokenizer, so tokens are bounded from above: one token per UTF-8 byte of
 * the query, instruction and document (no tokenizer in use yields more: byte-level BPE makes at
 * most one token a byte, WordPiece at most one a character), plus {@link #PROMPT_TOKENS} for the
 * prompt template around each pair, cut where the request itself cuts ({@code max_tokens_per_doc},
 * {@code truncate_prompt_tokens}, {@code chunking.tokens}). English text is about four bytes a
 * token, so the charge is about four times what a model reads: an upper bound, never an average.
 *
 * @param pairs pairs the model scores at most
 * @param tokens tokens the model reads at most
 */
public record JobCost(long pairs, long tokens) {

    /**
     * Tokens charged for the prompt template around each pair: Qwen3-Reranker's system prompt,
     * default instruction and markers are about 360 characters.
     */
    public static final int PROMPT_TOKENS = 384;

    /** The cost of {@code request}. */
    public static JobCost of(RerankRequest request) {
        long beside =
                PROMPT_TOKENS + utf8Length(request.query()) + utf8Length(request.instruction());
        Integer chunkTokens = request.chunking() == null ? null : request.chunking().tokens();
        Integer promptLimit = request.promptTokenLimit();
        long pairs = 0;
        long tokens = 0;
        if (request.documents() != null) {
            for (Document d : request.documents()) {
                long doc = documentTokens(request, d);
                long chunks = chunksAtMost(request, doc);
                long pair = beside + (chunkTokens == null ? doc : Math.min(doc, chunkTokens));
                if (promptLimit != null) {
                    pair = Math.min(pair, promptLimit);
                }
                pairs += chunks;
                tokens += chunks * pair;
            }
        }
        return new JobCost(pairs, tokens);
    }

    /**
     * Tokens charged for one pair as the model is sent it: the bound {@link #of} charges, applied
     * to a query, instruction and document (or chunk) after any cut. Workers count scored work in
     * it, so that what they announce they drain is in the unit jobs are charged in.
     */
    public static long pairTokens(String query, String instruction, String document) {
        return PROMPT_TOKENS + utf8Length(query) + utf8Length(instruction) + utf8Length(document);
    }

    /**
     * Chunks a document of {@code request} is scored in at most, given at most {@code
     * documentTokens} tokens: one without chunking; with it, what its chunk size and overlap make
     * of that many tokens, at most {@code max_chunks}. Without a chunk size the model's context
     * sets it, unknown here, so {@code max_chunks} is charged.
     */
    public static long chunksAtMost(RerankRequest request, long documentTokens) {
        Chunking c = request.chunking();
        if (c == null) {
            return 1;
        }
        long max = Math.max(1, c.chunksAtMost());
        if (c.tokens() == null) {
            return max;
        }
        long size = Math.max(1, c.tokens());
        if (documentTokens <= size) {
            return 1;
        }
        long step = Math.max(1, size - Math.min(c.overlap(), size - 1));
        long chunks = 1 + (documentTokens - size + step - 1) / step;
        return Math.min(max, chunks);
    }

    /**
     * Tokens of {@code d} the model reads at most: its bytes, cut to {@code max_tokens_per_doc}.
     */
    static long documentTokens(RerankRequest request, Document d) {
        long doc = d == null ? 0 : utf8Length(d.text());
        Integer max = request.maxTokensPerDoc();
        return max == null ? doc : Math.min(doc, Math.max(1, max));
    }

    /** Chunks of {@code d} the cost charged: the most the worker scores for it. */
    public static long chunksCharged(RerankRequest request, Document d) {
        return chunksAtMost(request, documentTokens(request, d));
    }

    /** Bytes of {@code s} in UTF-8, counted without encoding it. */
    public static long utf8Length(String s) {
        if (s == null) {
            return 0;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                n++;
            } else if (ch < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(ch)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
