package io.metaxy.flink.stream.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.store.SystemColumns;
import io.metaxy.flink.stream.RowParser;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The wire format of an increment does not change with its rendering: {@link IncrementJson}'s
 * bytes equal the UTF-8 of the text rendering the operator used before (kept here as the oracle,
 * {@link #textRendering}), for random increments rendered one after another through the one
 * reused generator and buffer, Unicode and escapes in every string included.
 */
class IncrementJsonProperties {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Increment(String feature, String featureVersion, List<String> fields, String kind, String idsJson,
            String[] expectedByField, String expected, String recorded, String retracts, String upstream,
            ObjectNode members, IncrementJson.Cause cause, boolean withUpstream) {}

    @Property(tries = 300)
    void bytesEqualTheTextRendering(@ForAll("increments") List<Increment> increments) throws IOException {
        IncrementJson json = new IncrementJson();
        for (Increment i : increments) {
            byte[] bytes = json.render(i.feature, i.featureVersion, i.fields, i.kind, i.idsJson, i.expectedByField,
                    i.expected, i.recorded, i.retracts, i.upstream.getBytes(StandardCharsets.UTF_8), i.members, i.cause,
                    i.withUpstream);
            String text = textRendering(i);
            assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(text);
            assertThat(bytes).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
            assertThat(JSON.readTree(bytes)).isEqualTo(JSON.readTree(text));
        }
    }

    @Provide
    Arbitrary<List<Increment>> increments() {
        return increment().list().ofMinSize(1).ofMaxSize(5);
    }

    private static Arbitrary<String> text() {
        // Control characters, quotes and backslashes, Latin-1, CJK, an emoji (a surrogate pair).
        return Arbitraries.oneOf(
                Arbitraries.strings().withCharRange((char) 0, (char) 0x7f).ofMaxLength(10),
                Arbitraries.strings().withCharRange((char) 0, (char) 0xd7ff).ofMaxLength(10),
                Arbitraries.strings().withChars('"', '\\', '/', '\n', 'a', 'é').ofMaxLength(6).map(s -> s + "😀"));
    }

    private static Arbitrary<JsonNode> value() {
        return Arbitraries.oneOf(
                text().map(s -> (JsonNode) JSON.getNodeFactory().textNode(s)),
                Arbitraries.longs().map(l -> (JsonNode) JSON.getNodeFactory().numberNode(l)),
                Arbitraries.doubles().map(d -> (JsonNode) JSON.getNodeFactory().numberNode(d)),
                Arbitraries.of(true, false).map(b -> (JsonNode) JSON.getNodeFactory().booleanNode(b)),
                Arbitraries.just(JSON.getNodeFactory().nullNode()));
    }

    private static Arbitrary<ObjectNode> object() {
        return Arbitraries.maps(text(), value()).ofMaxSize(4).map(m -> {
            ObjectNode o = JSON.createObjectNode();
            m.forEach(o::set);
            return o;
        });
    }

    private static Arbitrary<Increment> increment() {
        Arbitrary<List<String>> fields = text().list().ofMinSize(1).ofMaxSize(3);
        Arbitrary<String> optionalText = Arbitraries.oneOf(text(), Arbitraries.just(null));
        Arbitrary<ObjectNode> members = Arbitraries.oneOf(Arbitraries.just(null),
                Arbitraries.maps(text(), object().list().ofMaxSize(3)).ofMaxSize(2).map(m -> {
                    ObjectNode o = JSON.createObjectNode();
                    for (Map.Entry<String, List<ObjectNode>> e : m.entrySet()) {
                        ArrayNode a = o.putArray(e.getKey());
                        e.getValue().forEach(a::add);
                    }
                    return o;
                }));
        Arbitrary<IncrementJson.Cause> cause = Arbitraries.oneOf(
                Combinators.combine(text(), Arbitraries.integers().between(0, 64), Arbitraries.longs().greaterOrEqual(0))
                        .as(IncrementJson.Cause::position),
                Combinators.combine(Arbitraries.of("redeploy", "bootstrap"), text()).as(IncrementJson.Cause::named));
        return fields.flatMap(fs -> Builders.withBuilder(() -> new Object[13])
                .use(text()).in((b, v) -> set(b, 0, v))
                .use(text()).in((b, v) -> set(b, 1, v))
                .use(Arbitraries.of("new", "stale", "orphaned", "retracted")).in((b, v) -> set(b, 3, v))
                .use(object().map(RowParser::canonical)).in((b, v) -> set(b, 4, v))
                .use(Arbitraries.oneOf(text().array(String[].class).ofSize(fs.size()), Arbitraries.just(null)))
                .in((b, v) -> set(b, 5, v))
                .use(optionalText).in((b, v) -> set(b, 6, v))
                .use(optionalText).in((b, v) -> set(b, 7, v))
                .use(optionalText).in((b, v) -> set(b, 8, v))
                .use(object().map(RowParser::canonical)).in((b, v) -> set(b, 9, v))
                .use(members).in((b, v) -> set(b, 10, v))
                .use(cause).in((b, v) -> set(b, 11, v))
                .use(Arbitraries.of(true, true, false)).in((b, v) -> set(b, 12, v))
                .build(b -> new Increment((String) b[0], (String) b[1], fs, (String) b[3], (String) b[4], (String[]) b[5],
                        (String) b[6], (String) b[7], (String) b[8], (String) b[9], (ObjectNode) b[10],
                        (IncrementJson.Cause) b[11], (Boolean) b[12])));
    }

    private static Object[] set(Object[] b, int i, Object v) {
        b[i] = v;
        return b;
    }

    /** The operator's rendering before {@link IncrementJson}: a generator per increment into a {@code String}. */
    private static String textRendering(Increment i) throws IOException {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator g = JSON.getFactory().createGenerator(text)) {
            g.writeStartObject();
            g.writeStringField("kind", i.kind);
            g.writeStringField("feature", i.feature);
            g.writeStringField("feature_version", i.featureVersion);
            g.writeFieldName("ids");
            g.writeRawValue(i.idsJson);
            g.writeFieldName(SystemColumns.PROVENANCE_BY_FIELD);
            if (i.expectedByField == null) {
                g.writeNull();
            } else {
                g.writeStartObject();
                for (int k = 0; k < i.expectedByField.length; k++) {
                    g.writeStringField(i.fields.get(k), i.expectedByField[k]);
                }
                g.writeEndObject();
            }
            g.writeStringField(SystemColumns.PROVENANCE, i.expected);
            g.writeStringField("recorded_" + SystemColumns.PROVENANCE, i.recorded);
            if (i.retracts != null) {
                g.writeStringField("retracts", i.retracts);
            }
            if (i.withUpstream) {
                g.writeFieldName("upstream");
                g.writeRawValue(i.upstream);
                g.writeFieldName("members");
                if (i.members == null) {
                    g.writeStartObject();
                    g.writeEndObject();
                } else {
                    g.writeTree(i.members);
                }
            } else {
                g.writeObjectFieldStart("upstream");
                g.writeEndObject();
                g.writeObjectFieldStart("members");
                g.writeEndObject();
                g.writeBooleanField("upstream_omitted", true);
            }
            g.writeObjectFieldStart("cause");
            if (i.cause.topic() == null) {
                g.writeStringField(i.cause.name(), i.cause.value());
            } else {
                g.writeStringField("topic", i.cause.topic());
                g.writeNumberField("partition", i.cause.partition());
                g.writeNumberField("offset", i.cause.offset());
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        return text.toString();
    }
}
