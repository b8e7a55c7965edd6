package io.metaxy.flink.definitions;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;

/**
 * Reads graph text (YAML, or JSON when it starts with '{') into a Jackson tree in which every
 * scalar reads back exactly as written, and in which a key given twice in one object is an error.
 *
 * <p>Why not {@code ObjectMapper.readTree}: YAML's implicit typing rewrites unquoted scalars
 * ({@code code_version: 1.10} becomes 1.1, {@code 010} becomes 8, {@code yes} becomes true,
 * {@code 1_000} becomes 1000), which would silently change the versions hashed from them, and
 * Jackson keeps the last of duplicate keys. Here a number or boolean stays typed only when its
 * canonical text equals the written text (so {@code code_version: 1} still reads "1" and
 * {@code optional: true} is a boolean); otherwise the node is the written text.
 *
 * <pre>{@code
 * JsonNode tree = GraphTreeReader.read("features:\n  - {key: a, fields: [{key: x, code_version: 1.10}]}\n");
 * tree.at("/features/0/fields/0/code_version").asText(); // "1.10"
 * }</pre>
 */
final class GraphTreeReader {
    private static final JsonFactory JSON = new JsonFactory();
    private static final YAMLFactory YAML = new YAMLFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private GraphTreeReader() {}

    /** The tree of {@code text}; null for an empty YAML document. */
    static JsonNode read(String text) {
        boolean json = text.stripLeading().startsWith("{");
        String format = json ? "JSON" : "YAML";
        try (JsonParser parser = (json ? JSON : YAML).createParser(text)) {
            if (parser.nextToken() == null) {
                return null;
            }
            JsonNode root = value(parser, "");
            if (parser.nextToken() != null) {
                throw new DefinitionException("graph is not valid " + format + ": unexpected content after the graph"
                        + line(parser.currentTokenLocation()));
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new DefinitionException("graph is not valid " + format + ": " + e.getOriginalMessage()
                    + line(e.getLocation()), e);
        } catch (IOException e) {
            throw new DefinitionException("graph is not valid " + format + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode value(JsonParser parser, String path) throws IOException {
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    if (object.has(name)) {
                        throw new DefinitionException("duplicate key '" + name + "' "
                                + (path.isEmpty() ? "at the top level" : "in " + path) + line(parser.currentTokenLocation()));
                    }
                    parser.nextToken();
                    object.set(name, value(parser, path + "/" + name));
                }
                return object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    array.add(value(parser, path + "/" + array.size()));
                }
                return array;
            }
            case VALUE_STRING -> {
                return NODES.textNode(parser.getText());
            }
            case VALUE_NULL -> {
                return NODES.nullNode();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return asWritten(NODES.booleanNode(token == JsonToken.VALUE_TRUE), parser.getText());
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return asWritten(number(parser), parser.getText());
            }
            default -> {
                return NODES.textNode(parser.getText());
            }
        }
    }

    /** The number the parser sees, or null when it cannot decode it (YAML's {@code .inf}). */
    private static JsonNode number(JsonParser parser) throws IOException {
        try {
            return switch (parser.getNumberType()) {
                case INT -> NODES.numberNode(parser.getIntValue());
                case LONG -> NODES.numberNode(parser.getLongValue());
                case BIG_INTEGER -> NODES.numberNode(parser.getBigIntegerValue());
                case FLOAT, DOUBLE -> NODES.numberNode(parser.getDoubleValue());
                case BIG_DECIMAL -> NODES.numberNode(parser.getDecimalValue());
            };
        } catch (JsonProcessingException | NumberFormatException e) {
            return null;
        }
    }

    /** The typed node when it renders as written, else the written text. */
    private static JsonNode asWritten(JsonNode typed, String written) {
        return typed != null && typed.asText().equals(written) ? typed : NODES.textNode(written);
    }

    private static String line(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? "" : " (line " + location.getLineNr() + ")";
    }
}
