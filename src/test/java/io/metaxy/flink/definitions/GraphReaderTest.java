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
                        select: [video_path]
                        rename: {path: video_path}
                        filters: ["duration > 10"]
                    fields:
                      - key: embedding
                        code_version: "2"
                """);
        FeatureDep dep = graph.spec("frames").deps().get(0);
        assertThat(dep.lineage()).isEqualTo(Lineage.expansion(List.of("video_id")));
        assertThat(dep.fieldsMapping()).isEqualTo(FieldsMapping.all());
        assertThat(dep.select()).containsExactly("video_path");
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
        assertThatThrownBy(() -> GraphReader.parse("features: [ {")).hasMessageContaining("graph is not valid YAML");
        assertThatThrownBy(() -> GraphReader.parse("{\"a\": ")).hasMessageContaining("graph is not valid JSON");
        assertThatThrownBy(() -> GraphReader.parse("features:\n  - key: b\n    deps: [{feature: a, optional: yes}]\n    fields: [x]\n"))
                .hasMessageContaining("feature 'b' dep on 'a': 'optional' must be true or false, got \"yes\"");
    }

    @Test
    void unquotedScalarsKeepTheirWrittenText() {
        FeatureGraph graph = GraphReader.parse("""
                features:
                  - key: a
                    fields:
                      - {key: f1, code_version: 1.10}
                      - {key: f2, code_version: 010}
                      - {key: f3, code_version: yes}
                      - {key: f4, code_version: 1_000}
                      - {key: f5, code_version: 1}
                      - {key: f6, code_version: .inf}
                      - {key: f7}
                  - key: b
                    deps: [{feature: a, optional: True}]
                    fields: [on, "no"]
                """);
        assertThat(graph.spec("a").fields()).extracting(FieldSpec::codeVersion)
                .containsExactly("1.10", "010", "yes", "1_000", "1", ".inf", FieldSpec.INITIAL_CODE_VERSION);
        assertThat(graph.spec("b").deps().get(0).optional()).isTrue();
        assertThat(graph.spec("b").fieldKeys()).containsExactly(FieldKey.of("on"), FieldKey.of("no"));
        FeatureGraph json = GraphReader.parse("{\"features\": [{\"key\": \"a\", \"fields\": ["
                + "{\"key\": \"f1\", \"code_version\": 1.10}, {\"key\": \"f2\", \"code_version\": 1e3}]}]}");
        assertThat(json.spec("a").fields()).extracting(FieldSpec::codeVersion).containsExactly("1.10", "1e3");
    }

    @Test
    void duplicateKeysAreErrorsNamingTheKeyAndLine() {
        assertThatThrownBy(() -> GraphReader.parse("features:\n  - key: a\n    fields: [x]\n    fields: [y]\n"))
                .isInstanceOf(DefinitionException.class)
                .hasMessage("duplicate key 'fields' in /features/0 (line 4)");
        String snapshot = Conformance.cases("definition-versions.json").get(0).get("graph").toString();
        String parent = "\"example/video\": " + Conformance.cases("definition-versions.json").get(0).get("graph").get("example/video");
        String doubled = snapshot.substring(0, snapshot.length() - 1) + ", " + parent + "}";
        assertThatThrownBy(() -> GraphReader.parse(doubled))
                .hasMessageContaining("duplicate key 'example/video' at the top level");
    }

    @Test
    void snapshotWithAFeatureKeyedFeatures() {
        FeatureGraph graph = GraphReader.parse("""
                {"features": {"feature_spec": {"key": "features", "id_columns": ["sample_uid"], "deps": [],
                   "fields": [{"key": "x", "code_version": "1", "deps": []}]}},
                 "down": {"feature_spec": {"key": "down", "id_columns": ["sample_uid"], "deps": [{"feature": "features"}],
                   "fields": [{"key": "x", "code_version": "1", "deps": []}]}}}
                """);
        assertThat(graph.parentFields(FeatureKey.of("down"), FieldKey.of("x"))).containsExactly(FieldRef.of("features", "x"));
        assertThatThrownBy(() -> GraphReader.parse("features: {key: a}\n")).hasMessageContaining("'fields' must be a list");
        assertThatThrownBy(() -> GraphReader.parse("features:\n  a: 1\n")).hasMessage("'features' must be a list of feature specs");
        assertThatThrownBy(() -> GraphReader.parse("features: []\nversion: 2\n")).hasMessageContaining("graph: unknown key 'version'");
    }

    @Test
    void snapshotsIgnoreUnknownFeatureAndDepKeysButNotFieldKeys() {
        String newer = """
                {"up": {"feature_spec": {"key": "up", "id_columns": ["sample_uid"], "deps": [], "owner": "team-a",
                   "fields": [{"key": "x", "code_version": "1", "deps": []}]}},
                 "down": {"feature_spec": {"key": "down", "id_columns": ["sample_uid"], "tags": ["t"],
                   "deps": [{"feature": "up", "cache": true}],
                   "fields": [{"key": "x", "code_version": "1", "deps": []}]}}}
                """;
        assertThat(GraphReader.parse(newer).keys()).hasSize(2);
        assertThatThrownBy(() -> GraphReader.parse(newer.replace("\"code_version\": \"1\", \"deps\": []}]}},\n \"down\"",
                "\"code_version\": \"1\", \"salt\": 2, \"deps\": []}]}},\n \"down\"")))
                .hasMessageContaining("feature 'up' field 'x': unknown key 'salt'");
        assertThatThrownBy(() -> GraphReader.parse("features:\n  - key: a\n    owner: me\n    fields: [x]\n"))
                .hasMessageContaining("feature 'a': unknown key 'owner'");
    }

    @Test
    void errorsNameTheFileProblemAndTheFeaturePosition() {
        assertThatThrownBy(() -> GraphReader.read(Path.of("no-such-dir", "nope.yaml")))
                .hasMessage("cannot read graph file " + Path.of("no-such-dir", "nope.yaml") + ": no such file");
        assertThatThrownBy(() -> GraphReader.parse("features:\n  - key: a\n    fields: [x]\n  - key: 7\n    fields: [x]\n"))
                .hasMessageContaining("features[1]: 'key' must be a non-empty string");
        assertThatThrownBy(() -> GraphReader.parse("{\"a\": {\"feature_spec\": {\"key\": [\"a\"], \"fields\": []}}}"))
                .hasMessageContaining("snapshot entry 'a': 'key' must be a non-empty string");
    }

    @Test
    void metaxysAllFieldsMarkerInSnapshotsAndYaml() {
        // Metaxy serializes FieldSpec.deps = SpecialFieldDep.ALL as "__METAXY_ALL_DEP__" (models/field.py),
        // and FieldDep.fields = ALL likewise.
        String snapshot = """
                {"a": {"feature_spec": {"key": "a", "id_columns": ["sample_uid"], "deps": [],
                   "fields": [{"key": "x", "code_version": "1", "deps": []}, {"key": "y/z", "code_version": "1", "deps": []}]}},
                 "b": {"feature_spec": {"key": "b", "id_columns": ["sample_uid"], "deps": [],
                   "fields": [{"key": "w", "code_version": "2", "deps": []}]}},
                 "c": {"feature_spec": {"key": "c", "id_columns": ["sample_uid"], "deps": [{"feature": "a"}, {"feature": "b"}],
                   "fields": [{"key": "every", "code_version": "1", "deps": "__METAXY_ALL_DEP__"},
                              {"key": "of_a", "code_version": "1", "deps": [{"feature": "a", "fields": "__METAXY_ALL_DEP__"}]},
                              {"key": "of_b", "code_version": "1", "deps": [{"feature": "b"}]}]}}}
                """;
        FeatureGraph graph = GraphReader.parse(snapshot);
        FeatureKey c = FeatureKey.of("c");
        assertThat(graph.parentFields(c, FieldKey.of("every")))
                .containsExactly(FieldRef.of("a", "x"), FieldRef.of("a", "y/z"), FieldRef.of("b", "w"));
        assertThat(graph.parentFields(c, FieldKey.of("of_a"))).containsExactly(FieldRef.of("a", "x"), FieldRef.of("a", "y/z"));
        assertThat(graph.parentFields(c, FieldKey.of("of_b"))).containsExactly(FieldRef.of("b", "w"));

        String yaml = """
                features:
                  - {key: a, fields: [{key: x, code_version: "1"}, {key: y/z, code_version: "1"}]}
                  - {key: b, fields: [{key: w, code_version: "2"}]}
                  - key: c
                    deps: [a, b]
                    fields:
                      - {key: every, code_version: "1", deps: __METAXY_ALL_DEP__}
                      - {key: of_a, code_version: "1", deps: [{feature: a, fields: all}]}
                      - {key: of_b, code_version: "1", deps: [{feature: b}]}
                """;
        FeatureGraph fromYaml = GraphReader.parse(yaml);
        assertThat(DefinitionVersions.of(fromYaml).fieldVersions(c)).isEqualTo(DefinitionVersions.of(graph).fieldVersions(c));
        assertThat(GraphReader.parse(yaml.replace("deps: __METAXY_ALL_DEP__", "deps: all")).parentFields(c, FieldKey.of("every")))
                .hasSize(3);
        // Listing every field gives the same version as the marker.
        FeatureGraph listed = GraphReader.parse(yaml.replace("deps: __METAXY_ALL_DEP__",
                "deps: [{feature: a, fields: [x, y/z]}, {feature: b, fields: [w]}]"));
        assertThat(DefinitionVersions.of(listed).fieldVersions(c)).isEqualTo(DefinitionVersions.of(graph).fieldVersions(c));

        assertThatThrownBy(() -> GraphReader.parse(yaml.replace("deps: __METAXY_ALL_DEP__", "deps: everything")))
                .isInstanceOf(DefinitionException.class)
                .hasMessageContaining("feature 'c' field 'every': deps must be a list of field deps or '__METAXY_ALL_DEP__'");
        assertThatThrownBy(() -> GraphReader.parse(yaml.replace("fields: all}", "fields: x}")))
                .isInstanceOf(DefinitionException.class)
                .hasMessageContaining("feature 'c' field 'of_a' dep on 'a': fields must be a list of field keys or '__METAXY_ALL_DEP__'");
    }
}
