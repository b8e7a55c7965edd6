package io.metaxy.flink.definitions;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.versioning.DefinitionVersions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Metaxy's example-expansion and example-aggregation graphs as our YAML, with the feature and
 * field versions Metaxy recorded for them in its repository ({@code .example.result.json} of each
 * example, event {@code graph_pushed}, Metaxy commit a93199286df0).
 */
class ExampleGraphsTest {

    @Test
    void expansionLoadsWithMetaxysLineageAndVersions() {
        FeatureGraph graph = GraphReader.read(Path.of("examples", "expansion.yaml"));
        FeatureSpec chunk = graph.spec("video/chunk");
        assertThat(chunk.idColumns()).containsExactly("video_chunk_id");
        assertThat(chunk.dep(FeatureKey.of("video/raw")).orElseThrow().lineage()).isEqualTo(Lineage.expansion(List.of("video_id")));
        assertThat(graph.carriedColumns(FeatureKey.of("video/chunk"))).containsExactly("video_id");
        assertThat(graph.carriedColumns(FeatureKey.of("video/raw"))).isEmpty();

        DefinitionVersions versions = DefinitionVersions.of(graph);
        assertThat(versions.featureVersion(FeatureKey.of("video/raw"))).isEqualTo("d842b740");
        assertThat(versions.fieldVersions(FeatureKey.of("video/raw"))).isEqualTo(Map.of("audio", "7132721c", "frames", "3f6f401c"));
        assertThat(versions.featureVersion(FeatureKey.of("video/chunk"))).isEqualTo("7dc3712a");
        assertThat(versions.fieldVersions(FeatureKey.of("video/chunk"))).isEqualTo(Map.of("audio", "1549b1fa", "frames", "df8943d3"));
        assertThat(versions.featureVersion(FeatureKey.of("video/faces"))).isEqualTo("52f055e3");
        assertThat(versions.fieldVersions(FeatureKey.of("video/faces"))).isEqualTo(Map.of("faces", "0561bd8c"));

        // By hand (docs/design.md §2): sha256("<feature>.<field>", code_version, parent versions…)[:8].
        String rawAudio = sha256("video/raw.audio", "1");
        assertThat(rawAudio).isEqualTo("7132721c");
        assertThat(sha256("video/chunk.audio", FieldSpec.INITIAL_CODE_VERSION, rawAudio)).isEqualTo("1549b1fa");
    }

    @Test
    void expansionAfterMetaxysCodeVersionPatchKeepsRecordedVersions() {
        // patches/01_update_video_code_version.patch: video/raw audio code_version "1" -> "2".
        FeatureGraph graph = GraphReader.read(Path.of("examples", "expansion.yaml"));
        FeatureSpec raw = graph.spec("video/raw");
        FeatureSpec.Builder bumped = FeatureSpec.builder(raw.key()).idColumns(raw.idColumns());
        raw.fields().forEach(f -> bumped.field(f.key().toString().equals("audio") ? f.withCodeVersion("2") : f));
        DefinitionVersions versions = DefinitionVersions.of(graph.with(bumped.build()));
        assertThat(versions.featureVersion(FeatureKey.of("video/raw"))).isEqualTo("6e5a4ab8");
        assertThat(versions.fieldVersion(FeatureKey.of("video/raw"), FieldKey.of("audio"))).isEqualTo("f8e35296");
        assertThat(versions.featureVersion(FeatureKey.of("video/chunk"))).isEqualTo("504507a9");
        assertThat(versions.fieldVersion(FeatureKey.of("video/chunk"), FieldKey.of("audio"))).isEqualTo("7948d163");
        assertThat(versions.featureVersion(FeatureKey.of("video/faces"))).isEqualTo("52f055e3");
    }

    @Test
    void aggregationLoadsWithMetaxysLineageAndVersions() {
        FeatureGraph graph = GraphReader.read(Path.of("examples", "aggregation.yaml"));
        FeatureSpec embedding = graph.spec("speaker/embedding");
        assertThat(embedding.dep(FeatureKey.of("audio")).orElseThrow().lineage()).isEqualTo(Lineage.aggregation(List.of("speaker_id")));
        assertThat(graph.carriedColumns(FeatureKey.of("audio"))).containsExactly("speaker_id");

        DefinitionVersions versions = DefinitionVersions.of(graph);
        assertThat(versions.featureVersion(FeatureKey.of("audio"))).isEqualTo("3dac67c8");
        assertThat(versions.fieldVersions(FeatureKey.of("audio"))).isEqualTo(Map.of("default", "80200592"));
        assertThat(versions.featureVersion(FeatureKey.of("speaker/embedding"))).isEqualTo("a485fa5b");
        assertThat(versions.fieldVersions(FeatureKey.of("speaker/embedding"))).isEqualTo(Map.of("embedding", "27a15391"));

        String audioDefault = sha256("audio.default", FieldSpec.INITIAL_CODE_VERSION);
        assertThat(audioDefault).isEqualTo("80200592");
        assertThat(sha256("speaker/embedding.embedding", "1", audioDefault)).isEqualTo("27a15391");
    }

    @Test
    void aggregationWithoutOnMeansAllChildIdColumnsAndTheSameVersions() {
        String yaml = """
                features:
                  - key: audio
                    id_columns: [audio_id]
                    fields: [default]
                  - key: speaker/embedding
                    id_columns: [speaker_id]
                    deps:
                      - feature: audio
                        lineage: {type: "N:1"}
                    fields:
                      - {key: embedding, code_version: "1"}
                """;
        FeatureGraph graph = GraphReader.parse(yaml);
        assertThat(graph.spec("speaker/embedding").dep(FeatureKey.of("audio")).orElseThrow().lineage())
                .isEqualTo(Lineage.aggregation(List.of("speaker_id")));
        assertThat(DefinitionVersions.of(graph).featureVersion(FeatureKey.of("speaker/embedding"))).isEqualTo("a485fa5b");
        // Metaxy's snapshot form with "on": null.
        FeatureGraph snapshot = GraphReader.parse("""
                {"audio": {"feature_spec": {"key": "audio", "id_columns": ["audio_id"], "deps": [],
                   "fields": [{"key": "default", "code_version": "__metaxy_initial__", "deps": []}]}},
                 "speaker/embedding": {"feature_spec": {"key": "speaker/embedding", "id_columns": ["speaker_id"],
                   "deps": [{"feature": "audio", "lineage": {"relationship": {"type": "N:1", "on": null}}}],
                   "fields": [{"key": "embedding", "code_version": "1", "deps": []}]}}}
                """);
        assertThat(snapshot).isEqualTo(graph);
    }

    @Test
    void lineageDoesNotEnterTheVersions() {
        FeatureGraph graph = GraphReader.read(Path.of("examples", "aggregation.yaml"));
        FeatureSpec embedding = graph.spec("speaker/embedding");
        FeatureSpec asIdentity = FeatureSpec.builder(embedding.key()).idColumns("audio_id")
                .dep(FeatureDep.on("audio").build()).field(embedding.fields().get(0)).build();
        assertThat(DefinitionVersions.of(graph.with(asIdentity)).featureVersion(embedding.key())).isEqualTo("a485fa5b");
    }

    private static String sha256(String... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                digest.update(part.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
