package dev.rerankqueue.worker.scoring;

/**
 * What became of one unique pair of a {@link MicroBatcher} run: scored by call {@code call}, taken
 * from the cache or a checkpoint, refused.
 */
record PairOutcome(
        double value, int tokens, boolean truncated, long callMs, int call, String refusal) {

    /** A pair never scored: given up, or left out as abandoned. */
    static final PairOutcome NONE = new PairOutcome(0, 0, false, 0, 0, null);

    /** No call: no scorer time. */
    static PairOutcome cached(ScoreCache.Entry known) {
        return new PairOutcome(known.value(), known.tokens(), known.truncated(), 0, -1, null);
    }

    static PairOutcome refused(String why) {
        return new PairOutcome(0, 0, false, 0, 0, why);
    }

    /**
     * The outcomes of the unique pairs scattered back to the input pairs they stand for, in input
     * order; {@code calls} scorer calls were made.
     */
    static MicroBatcher.Result scatter(UniquePairs unique, PairOutcome[] outcomes, int calls) {
        int n = unique.inputCount();
        MicroBatcher.Result r =
                new MicroBatcher.Result(
                        new double[n],
                        new int[n],
                        new boolean[n],
                        new long[n],
                        new int[n],
                        calls,
                        new String[n]);
        for (int i = 0; i < n; i++) {
            PairOutcome o = outcomes[unique.of(i)];
            if (o == null) {
                o = NONE;
            }
            r.values()[i] = o.value();
            r.tokens()[i] = o.tokens();
            r.truncated()[i] = o.truncated();
            r.callMs()[i] = o.callMs();
            r.callOf()[i] = o.call();
            r.refusals()[i] = o.refusal();
        }
        return r;
    }
}
