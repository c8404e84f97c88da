package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.RankedDocument;
import dev.rerankqueue.job.RerankRequest;
import dev.rerankqueue.job.TruncationDirection;
import dev.rerankqueue.worker.batch.JobClaimer.Claimed;
import dev.rerankqueue.worker.scoring.MicroBatcher;
import dev.rerankqueue.worker.scoring.ScorePair;
import dev.rerankqueue.worker.scoring.Scorer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The (query, document) pairs of all claimed jobs of a batch in one list, job after job, for the
 * {@link MicroBatcher} to split into scorer calls; and, once scored, each job's own slice of the
 * scores as its ranked result.
 */
final class BatchPairs {

    private final List<Claimed> jobs;
    private final List<ScorePair> pairs = new ArrayList<>();
    private final List<String> jobOfPair = new ArrayList<>();
    private final int[] firstPair;

    /**
     * Pairs whose document the request's own limits cut ({@code max_tokens_per_doc}, {@code
     * truncate_prompt_tokens}, a cut from the left): truncated, never a fault.
     */
    private final Set<Integer> cutByRequest = new HashSet<>();

    private final Scorer scorer;

    private BatchPairs(List<Claimed> jobs, MicroBatcher batcher) {
        this.jobs = jobs;
        this.scorer = batcher.scorer();
        this.firstPair = new int[jobs.size()];
        for (int j = 0; j < jobs.size(); j++) {
            Claimed c = jobs.get(j);
            firstPair[j] = pairs.size();
            RerankRequest r = c.job().request();
            for (Document d : r.documents()) {
                ScorePair pair =
                        new ScorePair(
                                c.job().tenant(),
                                r.instruction(),
                                r.query(),
                                d.text(),
                                r.cutFrom());
                ScorePair cut = cutByRequest(r, pair);
                if (cut.document().length() < pair.document().length()) {
                    cutByRequest.add(pairs.size());
                }
                pairs.add(cut);
                jobOfPair.add(c.job().id());
            }
        }
    }

    /**
     * {@code pair} cut as its request asks: its document to {@code max_tokens_per_doc}; the whole
     * prompt to {@code truncate_prompt_tokens} (the document gives way, keeping at least a token);
     * and, when documents are cut from the left, to the model's context here rather than by the
     * scorer, which cuts their end. A job that asked not to be truncated is never cut to the
     * context here: the scorer finds it too long, and the job fails.
     */
    private ScorePair cutByRequest(RerankRequest r, ScorePair pair) {
        int context = scorer.contextTokens();
        Integer promptLimit = r.promptTokenLimit();
        if (promptLimit == null
                && r.cutFrom() == TruncationDirection.LEFT
                && r.truncates()
                && context < Integer.MAX_VALUE) {
            promptLimit = context;
        }
        long docLimit = r.maxTokensPerDoc() == null ? Long.MAX_VALUE : r.maxTokensPerDoc();
        if (promptLimit != null) {
            int budget = Math.min(promptLimit, context) - scorer.tokensBesideDocument(pair);
            docLimit = Math.min(docLimit, Math.max(1, budget));
        }
        return docLimit == Long.MAX_VALUE
                ? pair
                : scorer.withDocumentTokens(pair, (int) docLimit, r.cutFrom());
    }

    static BatchPairs of(List<Claimed> jobs, MicroBatcher batcher) {
        return new BatchPairs(jobs, batcher);
    }

    List<ScorePair> pairs() {
        return pairs;
    }

    String jobOf(int pair) {
        return jobOfPair.get(pair);
    }

    List<String> jobIds() {
        return jobs.stream().map(c -> c.job().id()).toList();
    }

    int[] pairCounts() {
        return jobs.stream().mapToInt(c -> c.job().pairCount()).toArray();
    }

    /**
     * Why job {@code j} fails for its own input, or {@code null}: a document the model refused
     * (only this job fails; the other jobs of its scorer calls were scored apart from it), or one
     * cut to the model's context in a job that asked not to be truncated.
     */
    String inputFault(int j, MicroBatcher.Result scored) {
        RerankRequest r = jobs.get(j).job().request();
        int offset = firstPair[j];
        for (int i = 0; i < r.documents().size(); i++) {
            if (scored.refusal(offset + i) != null) {
                return "document " + i + " was refused by the model: " + scored.refusal(offset + i);
            }
            if (!r.truncates() && scored.truncated()[offset + i]) {
                return "document "
                        + i
                        + " is longer than the model's context and the job asked not to truncate "
                        + "(\"truncate\": false); shorten it, or leave truncation on to score its"
                        + " beginning";
            }
        }
        return null;
    }

    /** Job {@code j}'s documents ranked by score (ties by index), cut to the count it asked for. */
    JobResult resultOf(int j, MicroBatcher.Result scored, String model) {
        RerankRequest r = jobs.get(j).job().request();
        int offset = firstPair[j];
        int n = r.documents().size();
        List<RankedDocument> ranked = new ArrayList<>(n);
        long tokens = 0;
        long truncated = 0;
        Set<Integer> calls = new HashSet<>();
        long scoringMs = 0;
        for (int i = 0; i < n; i++) {
            Document d = r.documents().get(i);
            double score = scored.values()[offset + i];
            ranked.add(
                    new RankedDocument(
                            i,
                            r.wantsRawScores() ? scorer.rawScore(score) : score,
                            r.wantsDocuments()
                                    ? new RankedDocument.DocumentText(d.text(), d.id())
                                    : null));
            tokens += scored.tokens()[offset + i];
            if (scored.truncated()[offset + i] || cutByRequest.contains(offset + i)) {
                truncated++;
            }
            if (calls.add(scored.callOf()[offset + i])) {
                scoringMs += scored.callMs()[offset + i];
            }
        }
        ranked.sort(
                Comparator.comparingDouble(RankedDocument::relevanceScore)
                        .reversed()
                        .thenComparingInt(RankedDocument::index));
        return new JobResult(
                model,
                List.copyOf(ranked.subList(0, r.resultCount())),
                new JobResult.Usage(n, tokens, truncated),
                scoringMs);
    }
}
