package dev.rerankqueue.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rerankqueue.job.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;

/**
 * Cohere v1's object documents and {@code rank_fields}: a document may be any JSON object, and
 * {@code rank_fields} names the fields the model reads. Each such document is scored as one line
 * {@code field: value} per named field it has, in the order named; without {@code rank_fields} an
 * object's {@code text} is scored, as before. The sync routes answer with each document as it was
 * sent.
 */
final class RankFields {

    static final String FIELD = "rank_fields";

    /**
     * A request with its object documents rendered to the text the model reads.
     *
     * @param tree the request to parse, documents as {@code {"text", "id"}}
     * @param sent each document as the client sent it, for the answer to echo; empty when the
     *     request names no {@code rank_fields}
     */
    record Rendered(JsonNode tree, List<JsonNode> sent) {}

    private RankFields() {}

    static Rendered render(JsonNode request) {
        JsonNode fields = request == null ? null : request.get(FIELD);
        JsonNode documents = request == null ? null : request.get("documents");
        if (fields == null || fields.isNull() || documents == null || !documents.isArray()) {
            return new Rendered(request, List.of());
        }
        List<String> names = names(fields);
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

    private static List<String> names(JsonNode fields) {
        List<String> names = new ArrayList<>();
        if (fields.isArray()) {
            fields.forEach(
                    f -> {
                        if (f.isTextual() && !f.textValue().isBlank()) {
                            names.add(f.textValue());
                        }
                    });
        }
        if (!fields.isArray() || names.isEmpty() || names.size() != fields.size()) {
            throw new InvalidRequestException(
                    FIELD, "must be a non-empty list of field names, e.g. [\"title\", \"text\"]");
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
