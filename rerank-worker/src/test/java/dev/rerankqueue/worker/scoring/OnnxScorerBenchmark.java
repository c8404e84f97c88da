package dev.rerankqueue.worker.scoring;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.rerankqueue.messaging.JobCodec;
import dev.rerankqueue.worker.config.WorkerConfig;
import dev.rerankqueue.worker.config.WorkerConfigs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The {@code cpu} benchmark (bench/run.sh cpu): pairs per second of the embedded scorer ({@link
 * OnnxScorer#scoreNow}: dedupe, tokenize, build tensors, run, pool, score) against ONNX Runtime
 * alone running the same model on the same batches (session.run on tensors built beforehand),
 * interleaved batch by batch so that both see the same machine. Prints a report and one JSON line.
 *
 * <p>A test-scope class, kept out of the worker's jar: {@code bench/run.sh cpu [--seconds 20]
 * [--batch 64] [--docs 10] [--chars 700]} runs it on the worker's test class path.
 *
 * <p>The model and its settings are the worker's: {@code -Drerank.worker.scorer.onnx.threads=1},
 * {@code ...model-path=...}.
 */
public final class OnnxScorerBenchmark {

    private static final String[] WORDS =
            ("the of and to in is for that on with as by at from this be are was it an or which has "
                            + "model data system query document search ranking score result latency throughput queue worker gpu batch token "
                            + "server request response cluster memory cache index vector retrieval passage answer question relevant capital "
                            + "city river mountain history science energy market policy health water climate engine network protocol storage "
                            + "language translation summary review product price customer support release version update security access "
                            + "user account payment order delivery shipping warehouse inventory forecast report analysis research study")
                    .split(" ");

    private OnnxScorerBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> f = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            f.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int seconds = Integer.parseInt(f.getOrDefault("seconds", "20"));
        int batchPairs = Integer.parseInt(f.getOrDefault("batch", "64"));
        int docsPerJob = Integer.parseInt(f.getOrDefault("docs", "10"));
        int chars = Integer.parseInt(f.getOrDefault("chars", "700"));
        WorkerConfig.Onnx config = config();
        int threads = config.threads();
        List<List<ScorePair>> batches = batches(16, batchPairs, docsPerJob, chars);
        try (OnnxScorer scorer = new OnnxScorer(config)) {
            List<Prepared> raw = new ArrayList<>();
            for (List<ScorePair> b : batches) {
                raw.add(prepare(scorer, b));
            }
            System.out.printf(
                    Locale.ROOT,
                    "== cpu: the embedded scorer (%s, ONNX Runtime, %s intra-op threads) vs ONNX Runtime alone ==%n"
                            + "batches of %d pairs (jobs of %d documents of about %d characters; %d texts to embed a batch), %d cores%n",
                    config.modelName(),
                    threads == 0 ? "all" : threads,
                    batchPairs,
                    docsPerJob,
                    chars,
                    raw.get(0).texts.size(),
                    Runtime.getRuntime().availableProcessors());
            run(
                    scorer,
                    batches,
                    raw,
                    3_000_000_000L,
                    new long[3]); // warm-up: JIT, ONNX Runtime's first runs
            long[] nanos = new long[3]; // scorer, ONNX Runtime alone, tokenizing alone
            int rounds = run(scorer, batches, raw, seconds * 1_000_000_000L, nanos);
            long pairs = (long) rounds * batchPairs;
            double scorerRate = pairs / (nanos[0] / 1e9);
            double ortRate = pairs / (nanos[1] / 1e9);
            double tokenizeShare = nanos[2] / (double) nanos[0];
            System.out.printf(
                    Locale.ROOT,
                    "embedded scorer:    %.0f pairs/s (%.1f ms a batch)%n",
                    scorerRate,
                    nanos[0] / 1e6 / rounds);
            System.out.printf(
                    Locale.ROOT,
                    "ONNX Runtime alone: %.0f pairs/s (%.1f ms a batch)%n",
                    ortRate,
                    nanos[1] / 1e6 / rounds);
            System.out.printf(
                    Locale.ROOT,
                    "ratio %.3f (goal >= 0.9); tokenizing the batch's texts is %.1f %% of the scorer's time; %d batches each%n",
                    scorerRate / ortRate,
                    100 * tokenizeShare,
                    rounds);
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("model", config.modelName());
            figures.put("batch_pairs", batchPairs);
            figures.put("document_chars", chars);
            figures.put("texts_per_batch", raw.get(0).texts.size());
            figures.put("threads", threads);
            figures.put("scorer_pairs_per_s", Math.round(scorerRate));
            figures.put("onnxruntime_pairs_per_s", Math.round(ortRate));
            figures.put("ratio", Math.round(scorerRate / ortRate * 1000) / 1000.0);
            figures.put("tokenize_share", Math.round(tokenizeShare * 1000) / 1000.0);
            figures.put("batches", rounds);
            figures.put("scenario", "cpu");
            System.out.println(JobCodec.toJson(figures));
            for (Prepared p : raw) {
                p.inputs.values().forEach(OnnxTensor::close);
            }
        }
    }

    /** A batch ready for ONNX Runtime alone: the scorer's texts, their input tensors built once. */
    private record Prepared(List<String> texts, Map<String, OnnxTensor> inputs) {}

    private static Prepared prepare(OnnxScorer scorer, List<ScorePair> batch) {
        List<String> texts =
                scorer.texts(batch).unique(); // exactly what scoreNow embeds for this batch
        return new Prepared(texts, scorer.inputs(scorer.tokenizer().batchEncode(texts)));
    }

    /**
     * Alternates scorer and ONNX-Runtime-alone batches for {@code budget} ns of the scorer's time;
     * returns batches run each.
     */
    private static int run(
            OnnxScorer scorer,
            List<List<ScorePair>> batches,
            List<Prepared> raw,
            long budget,
            long[] nanos)
            throws Exception {
        int rounds = 0;
        OrtSession session = scorer.session();
        while (nanos[0] < budget) {
            int i = rounds % batches.size();
            long t0 = System.nanoTime();
            Scores scores = scorer.scoreNow(batches.get(i));
            long t1 = System.nanoTime();
            try (OrtSession.Result r = session.run(raw.get(i).inputs())) {
                if (r.size() == 0 || scores.values().length != batches.get(i).size()) {
                    throw new IllegalStateException("no output");
                }
            }
            long t2 = System.nanoTime();
            Encoding[] enc = scorer.tokenizer().batchEncode(raw.get(i).texts());
            long t3 = System.nanoTime();
            if (enc.length != raw.get(i).texts().size()) {
                throw new IllegalStateException("tokenizer dropped texts");
            }
            nanos[0] += t1 - t0;
            nanos[1] += t2 - t1;
            nanos[2] += t3 - t2;
            rounds++;
        }
        return rounds;
    }

    /**
     * {@code count} batches of {@code pairs} pairs, jobs of {@code docs} documents of about {@code
     * chars} characters, fixed seed.
     */
    static List<List<ScorePair>> batches(int count, int pairs, int docs, int chars) {
        Random random = new Random(42);
        List<List<ScorePair>> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            List<ScorePair> batch = new ArrayList<>();
            String query = null;
            for (int i = 0; i < pairs; i++) {
                if (i % docs == 0) {
                    query = words(random, 6 + random.nextInt(6)) + "?";
                }
                batch.add(new ScorePair(null, query, text(random, chars)));
            }
            out.add(batch);
        }
        return out;
    }

    private static String text(Random random, int chars) {
        StringBuilder b = new StringBuilder();
        while (b.length() < chars) {
            b.append(words(random, 8 + random.nextInt(10))).append(". ");
        }
        return b.toString().trim();
    }

    private static String words(Random random, int n) {
        String[] w = new String[n];
        for (int i = 0; i < n; i++) {
            w[i] = WORDS[random.nextInt(WORDS.length)];
        }
        w[0] = Character.toUpperCase(w[0].charAt(0)) + w[0].substring(1);
        return String.join(" ", Arrays.asList(w));
    }

    /**
     * The embedded model's settings as the worker reads them (its mapping, its defaults), with
     * system properties and environment variables over them; the application is not started.
     */
    static WorkerConfig.Onnx config() {
        return WorkerConfigs.read(Map.of()).scorer().onnx();
    }
}
