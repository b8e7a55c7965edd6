package io.metaxy.flink.versioning;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaxy.flink.Conformance;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.GraphReader;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SampleProvenanceConformanceTest {

    static Stream<JsonNode> cases() {
        return Conformance.cases("sample-provenance.json").stream();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("cases")
    void provenanceByFieldMatchesMetaxy(JsonNode vector) {
        FeatureGraph graph = GraphReader.fromTree(vector.get("graph"));
        ProvenanceCalculator calc = ProvenanceCalculator.of(graph, FeatureKey.of(vector.get("feature").asText()),
                SampleHasher.DEFAULT);
        for (JsonNode sample : vector.get("samples")) {
            Map<FeatureKey, Map<String, String>> upstream = new HashMap<>();
            sample.get("upstream").fields().forEachRemaining(parent -> upstream.put(FeatureKey.of(parent.getKey()),
                    strings(parent.getValue().get("metaxy_data_version_by_field"))));
            Map<String, String> byField = calc.provenanceByField(upstream);
            assertThat(byField).as("sample %s", sample.get("ids"))
                    .isEqualTo(strings(sample.get("expected").get("metaxy_provenance_by_field")));
            if (sample.get("expected").has("metaxy_provenance")) {
                assertThat(calc.provenance(byField)).isEqualTo(sample.get("expected").get("metaxy_provenance").asText());
            }
        }
    }

    @Test
    void designExampleHashesToRecordedValue() {
        assertThat(SampleHasher.DEFAULT.hash("predictions|__metaxy_initial__|examples/parent.embeddings|v1"))
                .isEqualTo("24503967");
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }
}
