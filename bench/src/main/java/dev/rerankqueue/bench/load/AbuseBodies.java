package dev.rerankqueue.bench.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.messaging.JobCodec;
import java.io.UncheckedIOException;

/**
 * The security audit's request bodies, as an abusive client sends them: the abuse suite ({@code
 * AbuseIT}) asserts each one's answer, the {@code neighbour} scenario sends them back to back.
 */
public final class AbuseBodies {

    private AbuseBodies() {}

    /** One object document and {@code rank_fields} naming its one field {@code times} times. */
    public static String repeatedRankFields(int times) {
        ObjectNode body = JobCodec.mapper().createObjectNode().put("query", "q");
        body.putArray("documents").addObject().put("a", "x".repeat(1000));
        ArrayNode fields = body.putArray("rank_fields");
        for (int i = 0; i < times; i++) {
            fields.add("a");
        }
        return json(body);
    }

    /** {@code documents} object documents and {@code fields} distinct {@code rank_fields}. */
    public static String rankFieldsOverDocuments(int documents, int fields) {
        ObjectNode body = JobCodec.mapper().createObjectNode().put("query", "q");
        ArrayNode docs = body.putArray("documents");
        for (int i = 0; i < documents; i++) {
            docs.addObject().put("f0", 1);
        }
        ArrayNode names = body.putArray("rank_fields");
        for (int i = 0; i < fields; i++) {
            names.add("f" + i);
        }
        return json(body);
    }

    /**
     * One document of 130,000 characters in up to 10,000 chunks that overlap all but one token:
     * over a billion tokens of model work if it were taken.
     */
    public static String amplifyingChunks() {
        return "{\"query\":\"q\",\"documents\":[\""
                + "word ".repeat(26_000)
                + "\"],\"chunking\":{\"max_chunks\":10000,\"overlap_tokens\":100000}}";
    }

    /** A pairwise {@code /score} call with {@code queries} distinct queries, one job each. */
    public static String distinctScoreQueries(int queries) {
        ObjectNode body = JobCodec.mapper().createObjectNode();
        ArrayNode q = body.putArray("text_1");
        ArrayNode d = body.putArray("text_2");
        for (int i = 0; i < queries; i++) {
            q.add("q" + i);
            d.add("d");
        }
        return json(body);
    }

    private static String json(ObjectNode body) {
        try {
            return JobCodec.mapper().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
