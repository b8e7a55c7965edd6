package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * {@link RowValues}: the typed values the parse makes are what the JSON path (a Jackson map parse
 * of the canonical text, as the store sink did before) gave — same names in the same order, same
 * values of the same Java classes — render to the same canonical text, and survive the binary
 * layout.
 */
class RowValuesProperties {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** What the store sink's JSON path made of a row's canonical JSON. */
    private static LinkedHashMap<String, Object> jsonPath(JsonNode object) throws Exception {
        return JSON.readValue(RowParser.canonical(object), new TypeReference<LinkedHashMap<String, Object>>() {});
    }

    @Property(tries = 500)
    void typedValuesAreWhatTheJsonPathGave(@ForAll("objects") JsonNode object) throws Exception {
        RowValues typed = RowValues.ofObject(object);
        LinkedHashMap<String, Object> expected = jsonPath(object);
        assertThat(List.of(typed.names())).containsExactlyElementsOf(expected.keySet());
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            assertThat(typed.containsKey(e.getKey())).isTrue();
            Object v = typed.get(e.getKey());
            assertThat(v).isEqualTo(e.getValue());
            if (v != null) {
                assertThat(v.getClass()).isEqualTo(e.getValue().getClass());
            }
        }
        assertThat(typed).isEqualTo(expected).hasSameHashCodeAs(expected);
        assertThat(expected).isEqualTo(typed);
        assertThat(typed.toString()).isEqualTo(expected.toString());
        assertThat(new LinkedHashMap<>(typed)).containsExactlyEntriesOf(expected);
        assertThat(typed.get("no such column")).isNull();
        assertThat(typed.toJson()).isEqualTo(RowParser.canonical(object));
        assertThat(RowValues.ofJson(RowParser.canonical(object))).isEqualTo(typed);
    }

    @Property(tries = 500)
    void binaryRoundTrip(@ForAll("objects") JsonNode object) throws Exception {
        RowValues typed = RowValues.ofObject(object);
        DataOutputSerializer out = new DataOutputSerializer(64);
        typed.write(out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        RowValues back = RowValues.read(in);
        assertThat(in.available()).isZero();
        assertThat(back).isEqualTo(typed);
        assertThat(back.toJson()).isEqualTo(typed.toJson());
        for (String name : typed.names()) {
            Object v = back.get(name);
            if (v != null) {
                assertThat(v.getClass()).isEqualTo(typed.get(name).getClass());
            }
        }
    }

    @Provide("objects")
    Arbitrary<JsonNode> objectsProvider() {
        return objects();
    }

    /** JSON objects as a record's ids and user columns may hold them: scalars of every kind, some nested values. */
    static Arbitrary<JsonNode> objects() {
        Arbitrary<String> names = Arbitraries.oneOf(Arbitraries.of("sample_uid", "path", "a", "b", "é", "x\"y", "t\tab"),
                Arbitraries.strings().ofMinLength(1).ofMaxLength(8));
        Arbitrary<JsonNode> scalars = scalars();
        Arbitrary<JsonNode> nested = Arbitraries.oneOf(
                scalars.list().ofMaxSize(3).map(items -> {
                    ArrayNode a = NODES.arrayNode();
                    items.forEach(a::add);
                    return (JsonNode) a;
                }),
                Combinators.combine(names, scalars).as(Map::entry).list().ofMaxSize(3).map(entries -> {
                    ObjectNode o = NODES.objectNode();
                    entries.forEach(e -> o.set(e.getKey(), e.getValue()));
                    return (JsonNode) o;
                }));
        Arbitrary<JsonNode> values = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, scalars), net.jqwik.api.Tuple.of(1, nested));
        return Combinators.combine(names, values).as(Map::entry).list().ofMaxSize(6).map(entries -> {
            ObjectNode o = NODES.objectNode();
            entries.forEach(e -> o.set(e.getKey(), e.getValue()));
            return (JsonNode) o;
        });
    }

    private static Arbitrary<JsonNode> scalars() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(20).map(NODES::textNode),
                Arbitraries.integers().map(NODES::numberNode),
                Arbitraries.longs().map(l -> (JsonNode) (l == (int) (long) l ? NODES.numberNode((int) (long) l) : NODES.numberNode(l))),
                Arbitraries.bigIntegers().between(BigInteger.TWO.pow(70).negate(), BigInteger.TWO.pow(70))
                        .filter(b -> b.bitLength() > 63).map(NODES::numberNode),
                Arbitraries.doubles().map(NODES::numberNode),
                Arbitraries.of(true, false).map(NODES::booleanNode),
                Arbitraries.just(NODES.nullNode()));
    }

    @net.jqwik.api.Example
    void emptyObjectIsEmpty() {
        assertThat(RowValues.ofObject(NODES.objectNode())).isSameAs(RowValues.EMPTY);
        assertThat(RowValues.EMPTY.toJson()).isEqualTo("{}");
        assertThat(RowValues.ofJson("{}")).isEmpty();
        assertThat(new ArrayList<>(RowValues.EMPTY.keySet())).isEmpty();
    }
}
