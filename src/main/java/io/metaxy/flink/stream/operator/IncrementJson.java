package io.metaxy.flink.stream.operator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.store.SystemColumns;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    // The wire format's names, quoted and encoded once: the generator wrote each name character
    // by character, and that was a tenth of the increment operator's thread in a 1M profile.
    private static final SerializedString KIND = new SerializedString("kind");
    private static final SerializedString FEATURE = new SerializedString("feature");
    private static final SerializedString FEATURE_VERSION = new SerializedString("feature_version");
    private static final SerializedString IDS = new SerializedString("ids");
    private static final SerializedString PROVENANCE_BY_FIELD = new SerializedString(SystemColumns.PROVENANCE_BY_FIELD);
    private static final SerializedString PROVENANCE = new SerializedString(SystemColumns.PROVENANCE);
    private static final SerializedString RECORDED = new SerializedString("recorded_" + SystemColumns.PROVENANCE);
    private static final SerializedString RETRACTS = new SerializedString("retracts");
    private static final SerializedString UPSTREAM = new SerializedString("upstream");
    private static final SerializedString MEMBERS = new SerializedString("members");
    private static final SerializedString UPSTREAM_OMITTED = new SerializedString("upstream_omitted");
    private static final SerializedString CAUSE = new SerializedString("cause");
    private static final SerializedString TOPIC = new SerializedString("topic");
    private static final SerializedString PARTITION = new SerializedString("partition");
    private static final SerializedString OFFSET = new SerializedString("offset");
    /** At most this many distinct strings are kept encoded ({@link #encoded}). */
    static final int MAX_ENCODED = 1024;
    /**
     * The plan's strings (features, feature versions, kinds, field names, topics) encoded once;
     * only ASCII ones, so an encoded value is byte-equal to what the generator would write.
     */
    private final Map<String, SerializedString> encoded = new HashMap<>();

    /** {@code s} encoded once, or null when it is not kept (not ASCII, or the cache is full). */
    private SerializableString encoded(String s) {
        SerializedString e = encoded.get(s);
        if (e == null && encoded.size() < MAX_ENCODED && isAscii(s)) {
            e = new SerializedString(s);
            encoded.put(s, e);
        }
        return e;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** {@code "name": value}, the value written pre-encoded when it is one of the plan's strings. */
    private void field(JsonGenerator g, SerializableString name, String value) throws IOException {
        g.writeFieldName(name);
        writeText(g, value);
    }

    private void writeText(JsonGenerator g, String value) throws IOException {
        SerializableString e = value == null ? null : encoded(value);
        if (e != null) {
            g.writeString(e);
        } else {
            g.writeString(value); // writes null for null
        }
    }

    /** A field name that is one of the plan's strings (a feature's field), pre-encoded when kept. */
    private void writeName(JsonGenerator g, String name) throws IOException {
        SerializableString e = encoded(name);
        if (e != null) {
            g.writeFieldName(e);
        } else {
            g.writeFieldName(name);
        }
    }

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
            field(g, KIND, kind);
            field(g, FEATURE, feature);
            field(g, FEATURE_VERSION, featureVersion);
            g.writeFieldName(IDS);
            g.writeRawValue(idsJson);
            g.writeFieldName(PROVENANCE_BY_FIELD);
            if (expectedByField == null) {
                g.writeNull();
            } else {
                g.writeStartObject();
                for (int i = 0; i < expectedByField.length; i++) {
                    writeName(g, fields.get(i));
                    g.writeString(expectedByField[i]);
                }
                g.writeEndObject();
            }
            g.writeFieldName(PROVENANCE);
            g.writeString(expected);
            g.writeFieldName(RECORDED);
            g.writeString(recorded);
            if (retracts != null) {
                field(g, RETRACTS, retracts);
            }
            if (withUpstream) {
                g.writeFieldName(UPSTREAM);
                writeRawBytes(g, upstream);
                g.writeFieldName(MEMBERS);
                if (groupMembers == null) {
                    g.writeStartObject();
                    g.writeEndObject();
                } else {
                    g.writeTree(groupMembers);
                }
            } else {
                g.writeFieldName(UPSTREAM);
                g.writeStartObject();
                g.writeEndObject();
                g.writeFieldName(MEMBERS);
                g.writeStartObject();
                g.writeEndObject();
                g.writeFieldName(UPSTREAM_OMITTED);
                g.writeBoolean(true);
            }
            g.writeFieldName(CAUSE);
            g.writeStartObject();
            if (cause.topic() == null) {
                g.writeStringField(cause.name(), cause.value());
            } else {
                field(g, TOPIC, cause.topic());
                g.writeFieldName(PARTITION);
                g.writeNumber(cause.partition());
                g.writeFieldName(OFFSET);
                g.writeNumber(cause.offset());
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
