package io.metaxy.flink.versioning;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaxy.flink.Conformance;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.GraphReader;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DefinitionVersionsConformanceTest {

    static Stream<JsonNode> cases() {
        return Conformance.cases("definition-versions.json").stream();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("cases")
    void featureAndFieldVersionsMatchMetaxy(JsonNode vector) {
        FeatureGraph graph = GraphReader.fromTree(vector.get("graph"));
        DefinitionVersions versions = DefinitionVersions.of(graph);

        vector.get("expected").fields().forEachRemaining(entry -> {
            FeatureKey feature = FeatureKey.of(entry.getKey());
            JsonNode expected = entry.getValue();
            assertThat(versions.featureVersion(feature)).as("feature version of %s", feature)
                    .isEqualTo(expected.get("feature_version").asText());
            Map<String, String> expectedFields = new TreeMap<>();
            expected.get("fields").fields().forEachRemaining(f -> expectedFields.put(f.getKey(), f.getValue().asText()));
            assertThat(versions.fieldVersions(feature)).as("field versions of %s", feature).isEqualTo(expectedFields);
        });
    }
}
