package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.versioning.GroupDataVersion;
import io.metaxy.flink.versioning.HashAlgorithm;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OVERVIEW = Path.of("examples", "overview.yaml").toString();

    @TempDir
    Path dir;

    @Test
    void helpAndUsageErrorsUseTheDocumentedExitCodes() {
        assertThat(CliRun.run("--help").exitCode()).isZero();
        assertThat(CliRun.run("graph", "versions", "--help").exitCode()).isZero();
        assertThat(CliRun.run("provenance", "--help").out()).contains("--feature");
        assertThat(CliRun.run("graph", "versions").exitCode()).isEqualTo(2);
        assertThat(CliRun.run("no-such-command").exitCode()).isEqualTo(2);
        CliRun missing = CliRun.run("graph", "versions", "--graph", dir.resolve("missing.yaml").toString());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("cannot read graph file");
    }

    @Test
    void invalidGraphIsARuntimeFailureNamingTheFeature() throws Exception {
        Path graph = Files.writeString(dir.resolve("g.yaml"), "features:\n  - key: a\n    deps: [ghost]\n    fields: [x]\n");
        CliRun run = CliRun.run("graph", "show", "--graph", graph.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("feature 'a'").contains("ghost");
    }

    @Test
    void showPrintsFieldLevelDependenciesAndMermaid() {
        CliRun text = CliRun.run("graph", "show", "--graph", OVERVIEW);
        assertThat(text.exitCode()).isZero();
        assertThat(text.out()).contains("example/face_detection").contains("faces").contains("<- example/crop.frames");
        CliRun mermaid = CliRun.run("graph", "show", "--graph", OVERVIEW, "--format", "mermaid");
        assertThat(mermaid.out()).startsWith("flowchart LR")
                .contains("example__video__f_audio --> example__stt__f_transcription")
                .doesNotContain("example__video__f_audio --> example__face_detection");
    }

    @Test
    void rootProvenanceAndHashChoice() throws Exception {
        String line = "{\"ids\": {\"sample_uid\": \"a\"}, \"metaxy_provenance_by_field\": {\"audio\": \"x\", \"frames\": \"y\"}}\n";
        CliRun run = CliRun.withStdin(line, "provenance", "--graph", OVERVIEW, "--feature", "example/video", "--hash", "sha256");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode out = JSON.readTree(run.out());
        assertThat(out.get("metaxy_provenance").asText()).isEqualTo(SampleHasher.of(HashAlgorithm.SHA256).hash("x|y"));
        assertThat(CliRun.withStdin(line, "provenance", "--graph", OVERVIEW, "--feature", "example/video", "--hash", "crc").exitCode())
                .isEqualTo(2);
    }

    @Test
    void badLinesAreReportedWithLineNumbersAndGoodLinesStillComputed() {
        String stdin = String.join("\n",
                "{\"ids\": {\"sample_uid\": 1}, \"upstream\": {\"example/video\": {\"metaxy_data_version_by_field\": {\"audio\": \"a\", \"frames\": \"f\"}}}}",
                "not json",
                "{\"ids\": {}, \"upstream\": {}}",
                "{\"ids\": {\"sample_uid\": 2}, \"upstream\": {\"example/video\": {\"metaxy_data_version_by_field\": {\"audio\": 3}}}}",
                "{\"ids\": {\"sample_uid\": 2}, \"upstream\": {\"example/other\": {}}}") + "\n";
        CliRun run = CliRun.withStdin(stdin, "provenance", "--graph", OVERVIEW, "--feature", "example/crop");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out().lines()).hasSize(1);
        assertThat(run.err()).contains("line 2: not valid JSON")
                .contains("line 3: feature 'example/crop': id column 'sample_uid' is missing")
                .contains("line 4: feature 'example/crop' upstream 'example/video' column 'metaxy_data_version_by_field': field 'audio' must be a string")
                .contains("line 5: feature 'example/crop': 'upstream' names 'example/other'");
    }

    @Test
    void aggregationMembersAreOrderedByIdColumns() throws Exception {
        Path graph = Files.writeString(dir.resolve("agg.yaml"), """
                features:
                  - key: utterance
                    id_columns: [speaker, utterance]
                    fields: [audio]
                  - key: speaker_profile
                    id_columns: [speaker]
                    deps:
                      - feature: utterance
                        lineage: {type: "N:1", on: [speaker]}
                    fields: [audio]
                """);
        String stdin = "{\"ids\": {\"speaker\": \"s1\"}, \"upstream\": {\"utterance\": ["
                + "{\"ids\": {\"speaker\": \"s1\", \"utterance\": 10}, \"metaxy_data_version_by_field\": {\"audio\": \"b\"}},"
                + "{\"ids\": {\"speaker\": \"s1\", \"utterance\": 9}, \"metaxy_data_version_by_field\": {\"audio\": \"a\"}}]}}\n";
        CliRun run = CliRun.withStdin(stdin, "provenance", "--graph", graph.toString(), "--feature", "speaker_profile");
        assertThat(run.exitCode()).as(run.err()).isZero();
        FeatureGraph g = GraphReader.read(graph);
        // Numeric order (9 before 10), not text order.
        String group = SampleHasher.DEFAULT.hash("a|b");
        assertThat(GroupDataVersion.of(SampleHasher.DEFAULT, List.of("speaker", "utterance"), List.of(
                new GroupDataVersion.Member(Map.of("speaker", "s1", "utterance", 10), Map.of("audio", "b")),
                new GroupDataVersion.Member(Map.of("speaker", "s1", "utterance", 9), Map.of("audio", "a")))))
                .containsEntry("audio", group);
        String expected = ProvenanceCalculator.of(g, FeatureKey.of("speaker_profile"), SampleHasher.DEFAULT)
                .provenanceByField(Map.of(FeatureKey.of("utterance"), Map.of("audio", group))).get("audio");
        assertThat(JSON.readTree(run.out()).at("/metaxy_provenance_by_field/audio").asText()).isEqualTo(expected);
    }
}
