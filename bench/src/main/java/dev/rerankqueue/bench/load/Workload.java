package dev.rerankqueue.bench.load;

import dev.rerankqueue.messaging.JobCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Rerank requests shaped like retrieval results: a short question and documents of about {@code
 * docChars} characters (700 characters is about 175 tokens, so a pair in Qwen3-Reranker's template
 * is about 256 tokens, the calibration's middle shape). Deterministic for a seed; each request has
 * its own query, so no cache can shortcut the work.
 */
public final class Workload {

    private static final String[] WORDS =
            ("retrieval augmented generation reranker latency throughput queue kafka redis gpu batch "
                            + "document passage relevance vector index embedding transformer attention token model server cluster tenant "
                            + "capital river mountain history science energy climate market policy health network storage")
                    .split(" ");

    private final Random random;
    private final int documents;
    private final int docChars;
    private int counter;

    public Workload(long seed, int documents, int docChars) {
        this.random = new Random(seed);
        this.documents = documents;
        this.docChars = docChars;
    }

    public synchronized Map<String, Object> next() {
        int n = counter++;
        List<String> docs = new ArrayList<>(documents);
        for (int d = 0; d < documents; d++) {
            StringBuilder sb =
                    new StringBuilder("Passage ").append(n).append('.').append(d).append(':');
            while (sb.length() < docChars) {
                sb.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
            }
            docs.add(sb.toString());
        }
        String query =
                "Question "
                        + n
                        + ": how does "
                        + WORDS[random.nextInt(WORDS.length)]
                        + " affect "
                        + WORDS[random.nextInt(WORDS.length)]
                        + "?";
        return Map.of("query", query, "documents", docs);
    }

    public String nextJson() {
        return JobCodec.toJson(next());
    }

    public int documents() {
        return documents;
    }
}
