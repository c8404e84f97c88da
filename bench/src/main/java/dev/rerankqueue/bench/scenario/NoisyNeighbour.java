package dev.rerankqueue.bench.scenario;

import dev.rerankqueue.bench.load.Recorder;
import dev.rerankqueue.bench.load.Stack;
import dev.rerankqueue.bench.load.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code noisy-neighbour}: what one tenant's flood costs another in the same lane. Tenant A sends
 * synchronous reranks ({@link #DOCS} documents) at 30 % of the measured capacity, open loop, first
 * alone, then while tenant B submits interactive jobs of {@link #FLOOD_DOCS} documents at ten times
 * the capacity, open loop (a submission that would pass {@link #MAX_OUTSTANDING} unanswered ones is
 * not sent, and counted). Reports A's p50/p99 alone and under the flood, their ratio (goal at most
 * 1.2), and every status B got. The two tenants are two API keys.
 */
public final class NoisyNeighbour extends Neighbour {

    /** Documents per job of the flooding tenant. */
    static final int FLOOD_DOCS = 50;

    /** The most flood submissions waiting for their answer at once. */
    static final int MAX_OUTSTANDING = 2_000;

    public NoisyNeighbour(Stack stack, String abuserKey, int seconds, Path charts) {
        super(stack, abuserKey, seconds, charts);
    }

    @Override
    public void run() throws Exception {
        say("== noisy-neighbour: a tenant's sync p99 alone and while another tenant floods ==");
        double capacity =
                measureCapacity(stack.emulators().get(0), 8, 16) * stack.emulators().size();
        double rate = 0.3 * capacity / DOCS;
        double floodRate = 10 * capacity / FLOOD_DOCS;
        say(
                "A: %.1f sync calls/s of %d documents (30 %% of %.0f pairs/s); B: %.1f jobs/s of %d"
                        + " documents (10 x capacity); 10 s warm-up, then %d s recorded per phase",
                rate, DOCS, capacity, floodRate, FLOOD_DOCS, seconds);
        Recorder alone = neighbour(rate, 10);
        say("  A alone:         %s", alone.summary());
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        AtomicInteger outstanding = new AtomicInteger();
        AtomicInteger skipped = new AtomicInteger();
        AtomicBoolean flooding = new AtomicBoolean(true);
        Thread flood =
                new Thread(
                        () -> flood(floodRate, flooding, outstanding, skipped, statuses), "flood");
        flood.setDaemon(true);
        flood.start();
        Recorder flooded = neighbour(rate, 10);
        flooding.set(false);
        flood.join(60_000);
        say("  A under B's flood: %s", flooded.summary());
        say(
                "B: statuses %s; not sent (over %d unanswered): %d",
                new TreeMap<>(statuses), MAX_OUTSTANDING, skipped.get());
        double ratio = flooded.percentileMillis(99) / alone.percentileMillis(99);
        say("A's p99 under the flood / alone: %.2f (goal <= 1.2)", ratio);
        figures.put("capacity_pairs_per_s", round3(capacity));
        figures.put("a_calls_per_s", round3(rate));
        figures.put("b_jobs_per_s", round3(floodRate));
        figures.put("alone", percentiles(alone));
        figures.put("flooded", percentiles(flooded));
        figures.put("p99_ratio", round3(ratio));
        figures.put("b_statuses", new TreeMap<>(statuses));
        figures.put("b_not_sent", skipped.get());
        emit("noisy-neighbour");
        abuser.close();
    }

    /** B's jobs at {@code rate}, open loop, until {@code flooding} turns false. */
    private void flood(
            double rate,
            AtomicBoolean flooding,
            AtomicInteger outstanding,
            AtomicInteger skipped,
            Map<Integer, Integer> statuses) {
        Workload w = new Workload(7, FLOOD_DOCS, DOC_CHARS);
        long start = System.nanoTime();
        for (long i = 0; flooding.get(); i++) {
            sleepUntil(start + (long) (i * 1e9 / rate));
            if (outstanding.get() >= MAX_OUTSTANDING) {
                skipped.incrementAndGet();
                continue;
            }
            String body = "{\"priority\":\"interactive\"," + w.nextJson().substring(1);
            outstanding.incrementAndGet();
            abuser.postJson(stack.gateway() + "/v1/rerank/jobs", body, Duration.ofSeconds(30))
                    .handle(
                            (r, e) -> {
                                outstanding.decrementAndGet();
                                statuses.merge(e == null ? r.statusCode() : -1, 1, Integer::sum);
                                return null;
                            });
        }
    }
}
