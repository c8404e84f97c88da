package dev.rerankqueue.worker.batch;

import dev.rerankqueue.worker.batch.JobClaimer.Claimed;
import dev.rerankqueue.worker.scoring.MicroBatcher.ScoredPairs;
import dev.rerankqueue.worker.scoring.ScoreCache;
import dev.rerankqueue.worker.store.ScoreCheckpoints;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The score checkpoints of one batch's jobs ({@link ScoreCheckpoints}): what an earlier worker
 * scored of them before it died, to be reused, and each scorer call's scores, written as the call
 * ends. The batch records its jobs only once the writes have settled, and deletes the checkpoints
 * after, so a late write never brings a finished job's checkpoint back.
 */
final class BatchCheckpoints implements Consumer<ScoredPairs> {

    private static final Logger LOG = Logger.getLogger(BatchCheckpoints.class);

    private final BatchPairs pairs;
    private final String model;
    private final ScoreCheckpoints store;
    private final int[] pairCounts;
    private final List<String> ids;

    /** What was checkpointed of job j before this batch, by pair index in the job; or null. */
    private final Map<Integer, ScoreCache.Entry>[] known;

    private final List<CompletableFuture<Void>> writes = new ArrayList<>();

    @SuppressWarnings("unchecked")
    private BatchCheckpoints(
            BatchPairs pairs,
            List<String> ids,
            int[] pairCounts,
            String model,
            ScoreCheckpoints store,
            Map<String, Map<Integer, ScoreCache.Entry>> found) {
        this.pairs = pairs;
        this.ids = ids;
        this.pairCounts = pairCounts;
        this.model = model;
        this.store = store;
        this.known = new Map[ids.size()];
        for (int j = 0; j < ids.size(); j++) {
            known[j] = found.get(ids.get(j));
            if (known[j] != null) {
                LOG.infof(
                        "job %s: %d of its %d pairs were scored by the worker that ran it before;"
                                + " their scores are taken from its checkpoint",
                        ids.get(j), known[j].size(), pairCounts[j]);
            }
        }
    }

    /**
     * The checkpoints of the jobs {@code claimed} (whose pairs are {@code pairs}) under {@code
     * model}, with what was saved before of those taken over from another worker (only they can
     * have any); none when they cannot be read.
     */
    static Uni<BatchCheckpoints> load(
            List<Claimed> claimed, BatchPairs pairs, String model, ScoreCheckpoints store) {
        List<String> ids = pairs.jobIds();
        int[] counts = pairs.pairCounts();
        Map<String, Integer> takenOver = new LinkedHashMap<>();
        for (int j = 0; j < ids.size(); j++) {
            if (claimed.get(j).takenOver()) {
                takenOver.put(ids.get(j), counts[j]);
            }
        }
        if (!store.enabled() || takenOver.isEmpty()) {
            return Uni.createFrom()
                    .item(new BatchCheckpoints(pairs, ids, counts, model, store, Map.of()));
        }
        return store.load(model, takenOver)
                .onFailure()
                .recoverWithItem(
                        e -> {
                            LOG.debugf("score checkpoints not read: %s", e.toString());
                            return Map.of();
                        })
                .map(found -> new BatchCheckpoints(pairs, ids, counts, model, store, found));
    }

    /** The checkpointed score of pair {@code pair} of the batch, or null. */
    ScoreCache.Entry known(int pair) {
        int j = pairs.jobIndexOf(pair);
        return known[j] == null ? null : known[j].get(pair - pairs.firstPairOf(j));
    }

    /** Writes the scores of a call that ended, those not known before, job by job. */
    @Override
    public void accept(ScoredPairs done) {
        if (!store.enabled()) {
            return;
        }
        Map<Integer, Map<Integer, ScoreCache.Entry>> byJob = new HashMap<>();
        for (int k = 0; k < done.inputs().length; k++) {
            int pair = done.inputs()[k];
            ScoreCache.Entry entry = done.entries()[k];
            if (entry != null && known(pair) == null) {
                int j = pairs.jobIndexOf(pair);
                byJob.computeIfAbsent(j, x -> new HashMap<>())
                        .put(pair - pairs.firstPairOf(j), entry);
            }
        }
        if (byJob.isEmpty()) {
            return;
        }
        List<ScoreCheckpoints.Saved> saved = new ArrayList<>(byJob.size());
        byJob.forEach(
                (j, scores) ->
                        saved.add(new ScoreCheckpoints.Saved(ids.get(j), pairCounts[j], scores)));
        CompletableFuture<Void> write =
                store.save(model, saved)
                        .onFailure()
                        .recoverWithItem(
                                e -> {
                                    LOG.debugf("score checkpoint not written: %s", e.toString());
                                    return null;
                                })
                        .subscribeAsCompletionStage();
        synchronized (writes) {
            writes.add(write);
        }
    }

    /** Completes once every checkpoint write begun so far has succeeded or failed. */
    Uni<Void> settled() {
        CompletableFuture<?>[] all;
        synchronized (writes) {
            all = writes.toArray(CompletableFuture[]::new);
        }
        return Uni.createFrom().completionStage(CompletableFuture.allOf(all));
    }

    /** Deletes the checkpoints of the batch's jobs, now recorded; a failure is only logged. */
    Uni<Void> delete() {
        return store.delete(ids)
                .onFailure()
                .recoverWithItem(
                        e -> {
                            LOG.debugf("score checkpoints not deleted: %s", e.toString());
                            return null;
                        });
    }
}
