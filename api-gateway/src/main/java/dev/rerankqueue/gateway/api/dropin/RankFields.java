package dev.rerankqueue.gateway.api.dropin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.RequestLimits;
import dev.rerankqueue.job.RequestValidator;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Cohere v1's object documents and {@code rank_fields}: a document may be any JSON object, and
 * {@code rank_fields} names the fields the model reads. Each such document is scored as one line
 * {@code field: value} per named field it has, in the order named; without {@code rank_fields} an
 * object's {@code text} is scored, as before. The sync routes answer with each document as it was
 * sent.
 *
 * <p>Rendering is work done before a job is queued, so it is bounded first: the documents are
 * counted against {@code max-documents}, {@code rank_fields} against {@code max-rank-fields}
 * (repeated names count, and are then scored once), and a document stops being rendered as soon as
 * its text passes {@code max-document-chars}.
 */
public final class RankFields {

    public static final String FIELD = "rank_fields";

    /** Characters of one name in {@code rank_fields}. */
    static final int MAX_NAME_CHARS = 256;

    /**
     * A request with its object documents rendered to the text the model reads.
     *
     * @param tree the request to parse, documents as {@code {"text", "id"}}
     * @param sent each document as the client sent it, for the answer to echo; empty when the
     *     request names no {@code rank_fields}
     */
    public record Rendered(JsonNode tree, List<JsonNode> sent) {}

    private RankFields() {}

    public static Rendered render(JsonNode request, RequestLimits limits, int maxNames) {
        JsonNode fields = request == null ? null : request.get(FIELD);
        JsonNode documents = request == null ? null : request.get("documents");
        if (fields == null || fields.isNull() || documents == null || !documents.isArray()) {
            return new Rendered(request, List.of());
        }
        if (documents.size() > limits.maxDocuments()) {
            throw new InvalidRequestException(
                    List.of(new RequestValidator(limits).tooManyDocuments(documents.size())));
        }
        Set<String> names = names(fields, maxNames);
        ObjectNode out = ((ObjectNode) request).deepCopy();
        ArrayNode rendered = out.putArray("documents");
        for (int i = 0; i < documents.size(); i++) {
            JsonNode d = documents.get(i);
            if (!d.isObject()) {
                rendered.add(d);
                continue;
            }
            StringBuilder text = new StringBuilder();
            for (String name : names) {
                JsonNode value = d.get(name);
                if (value != null && !value.isNull()) {
                    if (!text.isEmpty()) {
                        text.append('\n');
                    }
                    text.append(name)
                            .append(": ")
                            .append(value.isTextual() ? value.textValue() : value.toString());
                    if (text.length() > limits.maxDocumentChars()) {
                        throw new InvalidRequestException(
                                "documents[" + i + "]",
                                "has more than "
                                        + limits.maxDocumentChars()
                                        + " characters in its rank_fields; the limit is "
                                        + limits.maxDocumentChars());
                    }
                }
            }
            if (text.isEmpty()) {
                throw new InvalidRequestException(
                        "documents[" + i + "]",
                        "has none of the rank_fields " + names + "; its fields: " + fieldsOf(d));
            }
            ObjectNode doc = rendered.addObject().put("text", text.toString());
            if (d.path("id").isTextual()) {
                doc.put("id", d.get("id").textValue());
            }
        }
        return new Rendered(out, sent(documents));
    }

    /** The names in {@code fields}, each once, in the order first named. */
    private static Set<String> names(JsonNode fields, int maxNames) {
        if (!fields.isArray() || fields.isEmpty()) {
            throw new InvalidRequestException(
                    FIELD, "must be a non-empty list of field names, e.g. [\"title\", \"text\"]");
        }
        if (fields.size() > maxNames) {
            throw new InvalidRequestException(
                    FIELD,
                    "has "
                            + fields.size()
                            + " entries; the limit is "
                            + maxNames
                            + " (rerank.limits.max-rank-fields)");
        }
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode f : fields) {
            if (!f.isTextual() || f.textValue().isBlank()) {
                throw new InvalidRequestException(
                        FIELD,
                        "must be a non-empty list of field names, e.g. [\"title\", \"text\"]");
            }
            if (f.textValue().length() > MAX_NAME_CHARS) {
                throw new InvalidRequestException(
                        FIELD, "has a name longer than " + MAX_NAME_CHARS + " characters");
            }
            names.add(f.textValue());
        }
        return names;
    }

    private static List<String> fieldsOf(JsonNode d) {
        List<String> names = new ArrayList<>();
        d.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<JsonNode> sent(JsonNode documents) {
        List<JsonNode> out = new ArrayList<>();
        if (documents != null && documents.isArray()) {
            documents.forEach(out::add);
        }
        return out;
    }
}
