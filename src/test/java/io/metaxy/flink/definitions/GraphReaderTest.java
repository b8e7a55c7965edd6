package io.metaxy.flink.definitions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaxy.flink.Conformance;
import io.metaxy.flink.versioning.DefinitionVersions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphReaderTest {

    @Test
    void yamlExampleFromReadmeReadsTheOverviewGraphWithMetaxyVersions() {
        FeatureGraph yaml = GraphReader.read(Path.of("examples", "overview.yaml"));
        JsonNode recorded = Conformance.cases("definition-versions.json").get(0);
        FeatureGraph metaxy = GraphReader.fromTree(recorded.get("graph"));
        DefinitionVersions fromYaml = DefinitionVersions.of(yaml);
        DefinitionVersions fromMetaxy = DefinitionVersions.of(metaxy);
        assertThat(fromYaml.graphVersion()).isEqualTo(fromMetaxy.graphVersion());
        for (FeatureKey key : metaxy.keys()) {
            assertThat(fromYaml.featureVersion(key)).isEqualTo(recorded.at("/expected/" + key.toString().replace("/", "~1")
                    + "/feature_version").asText());
        }
    }

    @Test
    void shorthandsAndLineage() {
        FeatureGraph graph = GraphReader.parse("""
                features:
                  - key: video
                    id_columns: [video_id]
                    fields: [audio, frames]
                  - key: frames
                    id_columns: [video_id, frame]
                    deps:
                      - feature: video
                        fields_mapping: all
                        lineage: {type: "1:N", on: [video_id]}
                        optional: false
                        select: [path]
                        rename: {path: video_path}
                        filters: ["duration > 10"]
                    fields:
                      - key: embedding
                        code_version: "2"
                """);
        FeatureDep dep = graph.spec("frames").deps().get(0);
        assertThat(dep.lineage()).isEqualTo(Lineage.expansion(List.of("video_id")));
        assertThat(dep.fieldsMapping()).isEqualTo(FieldsMapping.all());
        assertThat(dep.select()).containsExactly("path");
        assertThat(dep.rename()).containsEntry("path", "video_path");
        assertThat(dep.filters()).containsExactly("duration > 10");
        assertThat(graph.spec("video").fields()).extracting(FieldSpec::codeVersion).containsOnly(FieldSpec.INITIAL_CODE_VERSION);
    }

    @Test
    void metaxySpecificMappingWithPartsLists() {
        FeatureGraph graph = GraphReader.parse("""
                {"up": {"feature_spec": {"key": "up", "id_columns": ["sample_uid"], "deps": [],
                   "fields": [{"key": "a/b", "code_version": "1", "deps": []}]}},
                 "down": {"feature_spec": {"key": "down", "id_columns": ["sample_uid"],
                   "deps": [{"feature": "up", "fields_mapping": {"mapping": {"type": "specific", "mapping": {"x": [["a", "b"]]}}},
                             "lineage": {"relationship": {"type": "1:1"}}, "optional": true, "select": null, "rename": null, "sql_filters": null}],
                   "fields": [{"key": "x", "code_version": "1", "deps": []}]}}}
                """);
        assertThat(graph.parentFields(FeatureKey.of("down"), FieldKey.of("x"))).containsExactly(FieldRef.of("up", "a/b"));
        assertThat(graph.spec("down").deps().get(0).optional()).isTrue();
    }

    @Test
    void errorsNameFeatureAndFieldAndKey() {
        assertThatThrownBy(() -> GraphReader.parse("features:\n  - key: a\n    fields: [x]\n    colour: red\n"))
                .isInstanceOf(DefinitionException.class).hasMessageContaining("feature 'a'").hasMessageContaining("unknown key 'colour'");
        assertThatThrownBy(() -> GraphReader.parse("features:\n  - key: a\n    fields:\n      - key: x\n        code_versoin: 2\n"))
                .hasMessageContaining("feature 'a' field 'x'").hasMessageContaining("code_versoin");
        assertThatThrownBy(() -> GraphReader.parse("features:\n  - key: b\n    deps: [{feature: a, lineage: '2:2'}]\n    fields: [x]\n  - key: a\n    fields: [x]\n"))
                .hasMessageContaining("feature 'b' dep on 'a'").hasMessageContaining("unknown lineage type '2:2'");
        assertThatThrownBy(() -> GraphReader.parse("features: [ {")).hasMessageContaining("neither valid JSON nor YAML");
    }
}
