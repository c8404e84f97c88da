package dev.rerankqueue.messaging;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.rerankqueue.job.Document;
import dev.rerankqueue.job.InvalidRequestException;
import dev.rerankqueue.job.JobResult;
import dev.rerankqueue.job.JobState;
import dev.rerankqueue.job.RerankJob;
import dev.rerankqueue.job.RerankRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one JSON codec of the contract: strict about types (no silent coercion of {@code 5} to {@code
 * "5"}), lenient about unknown fields (clients of other rerank APIs send extras), precise in its
 * error messages.
 */
public final class JobCodec {

    private static final ObjectMapper MAPPER =
            JsonMapper.builder()
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                    .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                    .addModule(
                            new SimpleModule("rerank-contract")
                                    .addDeserializer(Document.class, new DocumentDeserializer()))
                    .build();

    static {
        MAPPER.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        MAPPER.getFactory()
                .setStreamReadConstraints(
                        StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private JobCodec() {}

    /** Shared, configured mapper; do not reconfigure. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * Parses bytes into a tree, or throws {@link MalformedJsonException} saying where the JSON
     * breaks.
     */
    public static JsonNode readTree(byte[] body) {
        if (body == null || body.length == 0) {
            throw new MalformedJsonException("the request body is empty; send a JSON object", null);
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new MalformedJsonException(
                        "the request body is empty; send a JSON object", null);
            }
            return node;
        } catch (JacksonException e) {
            throw new MalformedJsonException(
                    "malformed JSON: " + e.getOriginalMessage() + locationOf(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Maps a JSON tree onto a request; wrong types become a 422-style {@link
     * InvalidRequestException}.
     */
    public static RerankRequest toRequest(JsonNode node) {
        return convert(node, RerankRequest.class);
    }

    /**
     * Binds a tree to any contract type, turning type errors into {@link InvalidRequestException}.
     */
    public static <T> T convert(JsonNode node, Class<T> type) {
        if (!node.isObject()) {
            throw new InvalidRequestException(
                    "$", "the body must be a JSON object, got " + describe(node));
        }
        try {
            return MAPPER.treeToValue(node, type);
        } catch (JsonMappingException e) {
            throw new InvalidRequestException(pathOf(e), explain(e));
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException("$", e.getOriginalMessage());
        }
    }

    public static byte[] encodeJob(RerankJob job) {
        return write(job);
    }

    /**
     * Reads a jobs-topic record; {@link MalformedJsonException} or {@link InvalidRequestException}
     * for poison.
     */
    public static RerankJob decodeJob(byte[] value) {
        RerankJob job = convert(readTree(value), RerankJob.class);
        if (job.id() == null || job.request() == null || job.schema() < 1) {
            throw new InvalidRequestException(
                    "$", "not a rerank job envelope (needs schema, id, request)");
        }
        if (job.schema() > RerankJob.SCHEMA_VERSION) {
            throw new InvalidRequestException(
                    "schema",
                    "envelope version "
                            + job.schema()
                            + " is newer than this reader ("
                            + RerankJob.SCHEMA_VERSION
                            + ")");
        }
        return job;
    }

    /** A terminal state as the value of a {@code rerank.results} record. */
    public static byte[] encodeState(JobState state) {
        return write(state);
    }

    /**
     * As {@link #encodeState(JobState)} of {@code state} with the result {@code resultJson} (as
     * {@link #encodeResult} wrote it), copied in as it is rather than decoded and encoded again.
     */
    public static byte[] encodeState(JobState state, String resultJson) {
        if (state.result() != null) {
            throw new IllegalArgumentException("the state carries a result already: " + state.id());
        }
        byte[] head = write(state);
        if (resultJson == null) {
            return head;
        }
        // the state's object ends with its closing brace: the result goes in just before it
        byte[] tail = (",\"result\":" + resultJson + "}").getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(head, head.length - 1 + tail.length);
        System.arraycopy(tail, 0, out, head.length - 1, tail.length);
        return out;
    }

    public static JobState decodeState(byte[] value) {
        try {
            return MAPPER.readValue(value, JobState.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a job state: " + e.getMessage(), e);
        }
    }

    public static String encodeResult(JobResult result) {
        return toJson(result);
    }

    public static JobResult decodeResult(String json) {
        try {
            return MAPPER.readValue(json, JobResult.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "stored result is not readable: " + e.getOriginalMessage(), e);
        }
    }

    public static String toJson(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * UTF-8 JSON straight to bytes, without building a String first (large bodies on hot paths).
     */
    public static byte[] toJsonBytes(Object value) {
        return write(value);
    }

    public static <T> T fromJson(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
    }

    private static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String locationOf(JacksonException e) {
        return e.getLocation() == null
                ? ""
                : " (line "
                        + e.getLocation().getLineNr()
                        + ", column "
                        + e.getLocation().getColumnNr()
                        + ")";
    }

    static String pathOf(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            } else if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            }
        }
        return sb.isEmpty() ? "$" : sb.toString();
    }

    private static String explain(JsonMappingException e) {
        if (e instanceof ValueInstantiationException && e.getCause() != null) {
            return e.getCause().getMessage();
        }
        if (e instanceof InvalidFormatException f) {
            return "expected " + typeName(f.getTargetType()) + ", got " + f.getValue();
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return "expected " + typeName(m.getTargetType());
        }
        return e.getOriginalMessage();
    }

    private static String typeName(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Integer.class
                || type == int.class
                || type == Long.class
                || type == long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (List.class.isAssignableFrom(type)
                || Collection.class.isAssignableFrom(type)
                || type.isArray()) {
            return "an array";
        }
        if (type == Document.class) {
            return "a string or an object with a \"text\" string";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT);
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "an object";
        }
        return type.getSimpleName();
    }

    private static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /**
     * A document is either a bare string or {@code {"text": ..., "id"?: ...}}, as Cohere, Jina and
     * vLLM accept.
     */
    private static final class DocumentDeserializer extends JsonDeserializer<Document> {
        @Override
        public Document deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_STRING) {
                return Document.of(p.getText());
            }
            if (t == JsonToken.START_OBJECT) {
                JsonNode node = p.readValueAsTree();
                JsonNode text = node.get("text");
                if (text == null || !text.isTextual()) {
                    return ctxt.reportInputMismatch(
                            Document.class, "expected an object with a \"text\" string");
                }
                JsonNode id = node.get("id");
                String idText =
                        id == null || id.isNull() ? null : id.isValueNode() ? id.asText() : null;
                return new Document(text.textValue(), idText);
            }
            return ctxt.reportInputMismatch(
                    Document.class, "expected a string or an object with a \"text\" string");
        }

        @Override
        public Document getNullValue(DeserializationContext ctxt) {
            return null;
        }
    }
}
