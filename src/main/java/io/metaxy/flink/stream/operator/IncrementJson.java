package io.metaxy.flink.stream.operator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.store.SystemColumns;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Renders an increment (docs/protocol.md, "An increment") straight to the UTF-8 bytes the Kafka
 * record carries. One instance per operator instance, not thread-safe: it keeps one streaming
 * generator and one byte buffer for every increment it renders, so an increment costs neither a
 * generator set-up (its buffer-pool lookup) nor a {@code String} encoded again by the serializer.
 * The fields, their order and values are the wire format; {@code IncrementJsonProperties} holds
 * them byte-equal to the earlier text rendering.
 *
 * <pre>{@code
 * IncrementJson json = new IncrementJson();
 * byte[] value = json.render("example/crop", "34d75856", List.of("audio"), "new", "{\"sample_uid\":1}",
 *         new String[] {"a1"}, "p1", null, null, IncrementJson.EMPTY_OBJECT, null,
 *         IncrementJson.Cause.position("metaxy.example__video", 0, 7), true);
 * }</pre>
 */
final class IncrementJson {
    /** {@code {}} as bytes: no upstream columns. */
    static final byte[] EMPTY_OBJECT = {'{', '}'};
    /**
     * A character outside the BMP goes out as its 4 UTF-8 bytes, as the earlier rendering to a
     * {@code String} (then encoded) gave it; a UTF-8 generator writes a pair of surrogate escapes
     * instead.
     * The mapper's factory, so its generators can write the members tree.
     */
    private static final JsonFactory FACTORY = new ObjectMapper(JsonFactory.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build()).getFactory();

    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
    private JsonGenerator generator;

    /**
     * What an increment names as its cause: the source position of the event that caused it, or
     * for an increment without one ({@code topic == null}) {@code {"<name>": "<value>"}}
     * ({@code redeploy} / {@code bootstrap}).
     */
    record Cause(String topic, int partition, long offset, String name, String value) {
        static Cause position(String topic, int partition, long offset) {
            return new Cause(topic, partition, offset, null, null);
        }

        static Cause named(String name, String value) {
            return new Cause(null, -1, -1, name, value);
        }
    }

    /**
     * The increment's value. {@code idsJson} is canonical JSON text and {@code upstream} a
     * canonical JSON object's UTF-8 bytes, both written as they are; without
     * {@code withUpstream} both upstream and members go out empty, flagged
     * {@code "upstream_omitted": true}.
     */
    byte[] render(String feature, String featureVersion, List<String> fields, String kind, String idsJson,
            String[] expectedByField, String expected, String recorded, String retracts, byte[] upstream,
            ObjectNode groupMembers, Cause cause, boolean withUpstream) {
        try {
            JsonGenerator g = generator();
            g.writeStartObject();
            g.writeStringField("kind", kind);
            g.writeStringField("feature", feature);
            g.writeStringField("feature_version", featureVersion);
            g.writeFieldName("ids");
            g.writeRawValue(idsJson);
            g.writeFieldName(SystemColumns.PROVENANCE_BY_FIELD);
            if (expectedByField == null) {
                g.writeNull();
            } else {
                g.writeStartObject();
                for (int i = 0; i < expectedByField.length; i++) {
                    g.writeStringField(fields.get(i), expectedByField[i]);
                }
                g.writeEndObject();
            }
            g.writeStringField(SystemColumns.PROVENANCE, expected);
            g.writeStringField("recorded_" + SystemColumns.PROVENANCE, recorded);
            if (retracts != null) {
                g.writeStringField("retracts", retracts);
            }
            if (withUpstream) {
                g.writeFieldName("upstream");
                writeRawBytes(g, upstream);
                g.writeFieldName("members");
                if (groupMembers == null) {
                    g.writeStartObject();
                    g.writeEndObject();
                } else {
                    g.writeTree(groupMembers);
                }
            } else {
                g.writeObjectFieldStart("upstream");
                g.writeEndObject();
                g.writeObjectFieldStart("members");
                g.writeEndObject();
                g.writeBooleanField("upstream_omitted", true);
            }
            g.writeObjectFieldStart("cause");
            if (cause.topic() == null) {
                g.writeStringField(cause.name(), cause.value());
            } else {
                g.writeStringField("topic", cause.topic());
                g.writeNumberField("partition", cause.partition());
                g.writeNumberField("offset", cause.offset());
            }
            g.writeEndObject();
            g.writeEndObject();
            g.flush();
            return buffer.toByteArray();
        } catch (IOException | RuntimeException e) {
            // A generator left inside an object would prefix the next increment with its rest.
            generator = null;
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        } finally {
            buffer.reset();
        }
    }

    private JsonGenerator generator() throws IOException {
        if (generator == null) {
            generator = FACTORY.createGenerator(buffer);
            // One root value per increment; the buffer is emptied between them, so no separator.
            generator.setRootValueSeparator(null);
        }
        return generator;
    }

    /**
     * Writes a JSON value given as UTF-8 bytes without decoding them: an empty raw value makes the
     * generator write the separator and count the value, the flush puts everything before it
     * into the buffer, and the bytes follow there; what the generator writes next comes after them.
     */
    private void writeRawBytes(JsonGenerator g, byte[] json) throws IOException {
        g.writeRawValue("");
        g.flush();
        buffer.writeBytes(json);
    }
}
