package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldSpec;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The parse's canonical ids (written without a tree or a generator, the key read by the streaming
 * parser) equal {@link RowParser#canonical} of the ids' object, whatever the ids' values (text
 * with escapes and Unicode, integers of any size), their order in the key, and whether they come
 * from the key or, without one, the value.
 */
class RowParserProperties {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> IDS = List.of("zone", "a\"b", "id", "é");
    static final StreamPlan PLAN = StreamPlan.of(FeatureGraph.of(List.of(FeatureSpec.builder("test/multi")
            .idColumns(IDS).field(FieldSpec.of("x", "1")).build())));
    static final RowParser PARSER = new RowParser(PLAN, RowParser.DEFAULT_MAX_VALUE_BYTES);
    static final String TOPIC = "metaxy.test__multi";

    @Property(tries = 500)
    void canonicalIdsEqualTheTreeRendering(@ForAll("idValues") List<JsonNode> values, @ForAll long seed,
            @ForAll boolean inKey) throws Exception {
        List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3));
        Collections.shuffle(order, new Random(seed));
        ObjectNode ids = JSON.createObjectNode();
        for (int i : order) {
            ids.set(IDS.get(i), values.get(i));
        }
        ObjectNode value = inKey ? JSON.createObjectNode() : ids.deepCopy();
        value.putObject("metaxy_provenance_by_field").put("x", "p");
        value.put("col", "c");
        StampedRow row = PARSER.parse(RawRecord.of(TOPIC, 0, 0, inKey ? JSON.writeValueAsString(ids) : null,
                JSON.writeValueAsString(value)));
        assertThat(row.idsJson()).isEqualTo(RowParser.canonical(ids));
        assertThat(JSON.readTree(row.idsJson())).isEqualTo(JSON.readTree(JSON.writeValueAsString(ids)));
        // The typed ids and columns are what a map parse of the JSON gave (the store sink's old path), class for class.
        assertSameTyped(row.ids(), row.idsJson());
        assertSameTyped(row.columns(), "{\"col\":\"c\"}");
        assertThat(row.columnsJson()).isEqualTo("{\"col\":\"c\"}");
        if (inKey) {
            // A value repeating the key's ids is accepted: equal nodes, whichever parser read the key.
            ObjectNode both = value.deepCopy();
            both.setAll(ids);
            assertThat(PARSER.parse(RawRecord.of(TOPIC, 0, 0, JSON.writeValueAsString(ids), JSON.writeValueAsString(both)))
                    .idsJson()).isEqualTo(row.idsJson());
        }
    }

    private static void assertSameTyped(RowValues typed, String json) throws Exception {
        java.util.LinkedHashMap<String, Object> expected = JSON.readValue(json,
                new com.fasterxml.jackson.core.type.TypeReference<java.util.LinkedHashMap<String, Object>>() {});
        assertThat(List.of(typed.names())).containsExactlyElementsOf(expected.keySet());
        expected.forEach((k, v) -> {
            assertThat(typed.get(k)).isEqualTo(v);
            assertThat(typed.get(k).getClass()).isEqualTo(v.getClass());
        });
    }

    @Provide
    Arbitrary<List<JsonNode>> idValues() {
        Arbitrary<JsonNode> text = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange((char) 0, (char) 0x7f).ofMaxLength(8),
                Arbitraries.strings().withCharRange((char) 0, (char) 0xd7ff).ofMaxLength(8),
                Arbitraries.strings().withChars('"', '\\', '/', '\n', 'x').ofMaxLength(4).map(s -> s + "😀"))
                .map(s -> JSON.getNodeFactory().textNode(s));
        Arbitrary<JsonNode> number = Arbitraries.oneOf(
                Arbitraries.integers().map(i -> (JsonNode) JSON.getNodeFactory().numberNode(i)),
                Arbitraries.longs().map(l -> (JsonNode) JSON.getNodeFactory().numberNode(l)),
                Arbitraries.bigIntegers().between(BigInteger.TEN.pow(30).negate(), BigInteger.TEN.pow(30))
                        .map(b -> (JsonNode) JSON.getNodeFactory().numberNode(b)));
        return Arbitraries.oneOf(text, number).list().ofSize(IDS.size());
    }
}
