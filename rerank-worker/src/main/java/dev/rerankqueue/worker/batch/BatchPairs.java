package dev.rerankqueue.worker.batch;

import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.JobCost;
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

    /** Which job (its index in {@link #jobs}) each pair is of. */
    private final List<Integer> jobOfPair = new ArrayList<>();

    /**
     * For job {@code j}, where each of its documents' pairs start in {@link #pairs}, and its end:
     * one pair a document, or one a chunk when the job asked for chunks.
     */
    private final int[][] docStart;

    /**
     * First pairs of documents the request's own limits cut ({@code max_tokens_per_doc}, {@code
     * truncate_prompt_tokens}, a cut from the left, chunks past {@code max_chunks}): truncated,
     * never a fault.
     */
    private final Set<Integer> cutByRequest = new HashSet<>();

    private final Scorer scorer;

    private BatchPairs(List<Claimed> jobs, Scorer scorer) {
        this.jobs = jobs;
        this.scorer = scorer;
        this.docStart = new int[jobs.size()][];
        for (int j = 0; j < jobs.size(); j++) {
            Claimed c = jobs.get(j);
            RerankRequest r = c.job().request();
            int[] starts = new int[r.documents().size() + 1];
            for (int d = 0; d < r.documents().size(); d++) {
                starts[d] = pairs.size();
                ScorePair pair =
                        new ScorePair(
                                c.job().tenant(),
                                r.instruction(),
                                r.query(),
                                r.documents().get(d).text(),
                                r.cutFrom());
                ScorePair cut = cutByRequest(r, pair);
                boolean shortened = cut.document().length() < pair.document().length();
                List<String> chunks = r.chunking() == null ? null : chunksOf(r, cut);
                if (chunks == null) {
                    pairs.add(cut);
                } else {
                    // never more chunks than the job was charged for at the door
                    int max =
                            (int)
                                    Math.min(
                                            r.chunking().chunksAtMost(),
                                            JobCost.chunksCharged(r, r.documents().get(d)));
                    shortened |= chunks.size() > max;
                    chunks.stream().limit(max).forEach(text -> pairs.add(cut.withDocument(text)));
                }
                if (shortened) {
                    cutByRequest.add(starts[d]);
                }
                while (jobOfPair.size() < pairs.size()) {
                    jobOfPair.add(j);
                }
            }
            starts[r.documents().size()] = pairs.size();
            docStart[j] = starts;
        }
    }

    /**
     * The chunks {@code pair}'s document is scored in: of the request's size, else of what fits the
     * model's context (or the request's prompt limit) beside the query; 512 tokens while the
     * context is not known.
     */
    private List<String> chunksOf(RerankRequest r, ScorePair pair) {
        int context = scorer.contextTokens();
        int limit = context == Integer.MAX_VALUE ? 512 : context;
        if (r.promptTokenLimit() != null) {
            limit = Math.min(limit, r.promptTokenLimit());
        }
        int fits = Math.max(16, limit - scorer.tokensBesideDocument(pair));
        int size = r.chunking().tokens() == null ? fits : Math.min(r.chunking().tokens(), fits);
        return scorer.chunks(pair, size, Math.min(r.chunking().overlap(), size - 1));
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
        if (r.chunking() != null) {
            // chunks fit the context and their own prompt limit, and nothing else is cut
            promptLimit = null;
        } else if (promptLimit == null
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

    static BatchPairs of(List<Claimed> jobs, Scorer scorer) {
        return new BatchPairs(jobs, scorer);
    }

    List<ScorePair> pairs() {
        return pairs;
    }

    String jobOf(int pair) {
        return jobs.get(jobOfPair.get(pair)).job().id();
    }

    /** The index of the job that {@code pair} is of. */
    int jobIndexOf(int pair) {
        return jobOfPair.get(pair);
    }

    /** Where job {@code j}'s pairs start in {@link #pairs}. */
    int firstPairOf(int j) {
        return docStart[j][0];
    }

    List<String> jobIds() {
        return jobs.stream().map(c -> c.job().id()).toList();
    }

    /** Pairs of each job: one a document, or one a chunk. */
    int[] pairCounts() {
        int[] counts = new int[jobs.size()];
        for (int j = 0; j < jobs.size(); j++) {
            counts[j] = docStart[j][docStart[j].length - 1] - docStart[j][0];
        }
        return counts;
    }

    int[] documentCounts() {
        return jobs.stream().mapToInt(c -> c.job().documentCount()).toArray();
    }

    /**
     * Why job {@code j} fails for its own input, or {@code null}: a document the model refused
     * (only this job fails; the other jobs of its scorer calls were scored apart from it), or one
     * cut to the model's context in a job that asked not to be truncated.
     */
    String inputFault(int j, MicroBatcher.Result scored) {
        RerankRequest r = jobs.get(j).job().request();
        int[] starts = docStart[j];
        for (int i = 0; i < r.documents().size(); i++) {
            for (int p = starts[i]; p < starts[i + 1]; p++) {
                if (scored.refusal(p) != null) {
                    return "document " + i + " was refused by the model: " + scored.refusal(p);
                }
                if (!r.truncates() && scored.truncated()[p]) {
                    return "document "
                            + i
                            + " is longer than the model's context and the job asked not to"
                            + " truncate (\"truncate\": false); shorten it, or leave truncation on"
                            + " to score its beginning";
                }
            }
        }
        return null;
    }

    /**
     * Job {@code j}'s documents ranked by score (a chunked document by its best chunk; ties by
     * index), cut to the count it asked for.
     */
    JobResult resultOf(int j, MicroBatcher.Result scored, String model) {
        RerankRequest r = jobs.get(j).job().request();
        int[] starts = docStart[j];
        int n = r.documents().size();
        List<RankedDocument> ranked = new ArrayList<>(n);
        long tokens = 0;
        long truncated = 0;
        Set<Integer> calls = new HashSet<>();
        long scoringMs = 0;
        for (int i = 0; i < n; i++) {
            Document d = r.documents().get(i);
            double score = Double.NEGATIVE_INFINITY;
            boolean cut = cutByRequest.contains(starts[i]);
            for (int p = starts[i]; p < starts[i + 1]; p++) {
                score = Math.max(score, scored.values()[p]);
                tokens += scored.tokens()[p];
                cut |= scored.truncated()[p];
                if (calls.add(scored.callOf()[p])) {
                    scoringMs += scored.callMs()[p];
                }
            }
            if (cut) {
                truncated++;
            }
            ranked.add(
                    new RankedDocument(
                            i,
                            r.wantsRawScores() ? scorer.rawScore(score) : score,
                            r.wantsDocuments()
                                    ? new RankedDocument.DocumentText(d.text(), d.id())
                                    : null));
        }
        ranked.sort(
                Comparator.comparingDouble(RankedDocument::relevanceScore)
                        .reversed()
                        .thenComparingInt(RankedDocument::index));
        return new JobResult(
                model,
                List.copyOf(ranked.subList(0, r.resultCount())),
                new JobResult.Usage(
                        n,
                        tokens,
                        truncated,
                        r.chunking() == null ? null : (long) (starts[n] - starts[0]),
                        jobs.get(j).job().cost().tokens()),
                scoringMs);
    }
}
