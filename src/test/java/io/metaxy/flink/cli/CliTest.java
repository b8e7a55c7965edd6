package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.versioning.GroupDataVersion;
import io.metaxy.flink.versioning.IncrementRules;
import io.metaxy.flink.versioning.HashAlgorithm;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        assertThat(missing.err()).contains("cannot read graph file").contains("missing.yaml: no such file");
    }

    @Test
    void hashOptionsAreUsageErrorsCheckedBeforeTheGraphIsRead() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "features:\n  - key: a\n    deps: [ghost]\n    fields: [x]\n");
        for (String[] args : List.of(
                new String[] {"graph", "versions", "--graph", bad.toString(), "--hash-length", "4"},
                new String[] {"graph", "versions", "--graph", bad.toString(), "--hash-length", "eight"},
                new String[] {"provenance", "--graph", bad.toString(), "--feature", "a", "--hash-length", "7"},
                new String[] {"provenance", "--graph", bad.toString(), "--feature", "a", "--hash", "crc"},
                new String[] {"provenance", "--graph", bad.toString(), "--feature", "Not A Key"})) {
            CliRun run = CliRun.run(args);
            assertThat(run.exitCode()).as(String.join(" ", args) + "\n" + run.err()).isEqualTo(2);
            assertThat(run.err()).contains("Invalid value for option").doesNotContain("ghost");
        }
        assertThat(CliRun.run("graph", "versions", "--graph", OVERVIEW, "--hash-length", "4").err())
                .contains("'--hash-length'").contains("must be at least 8, got 4");
    }

    @Test
    void graphVersionsHashLengthBeyondTheDigestGivesTheWholeDigest() throws Exception {
        CliRun run = CliRun.run("graph", "versions", "--graph", OVERVIEW, "--hash-length", "100");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode printed = JSON.readTree(run.out());
        assertThat(printed.get("graph_version").asText()).hasSize(64);
        assertThat(printed.at("/features/example~1crop/fields/audio").asText()).hasSize(64);
    }

    @Test
    void unknownFeatureIsAUsageErrorListingTheGraphsFeatures() {
        CliRun run = CliRun.run("provenance", "--graph", OVERVIEW, "--feature", "example/nope");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("feature 'example/nope' is not in the graph").contains("example/crop");
    }

    @Test
    void rootInputMustCarryExactlyTheFeaturesFields() {
        String stdin = String.join("\n",
                "{\"ids\": {\"sample_uid\": 1}, \"metaxy_provenance_by_field\": {\"audio\": \"a\", \"frames\": \"f\", \"depth\": \"d\"}}",
                "{\"ids\": {\"sample_uid\": 2}, \"metaxy_provenance_by_field\": {\"audio\": \"a\"}}",
                "{\"ids\": {\"sample_uid\": 3}, \"metaxy_provenance_by_field\": {\"audio\": \"a\", \"frames\": \"f\"}}",
                "{\"ids\": {\"sample_uid\": 4}, \"metaxy_provenance_by_field\": {\"audio\": \"a\", \"audio\": \"b\", \"frames\": \"f\"}}")
                + "\n";
        CliRun run = CliRun.withStdin(stdin, "provenance", "--graph", OVERVIEW, "--feature", "example/video");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out().lines()).hasSize(1);
        assertThat(run.err())
                .contains("line 1: feature 'example/video': column 'metaxy_provenance_by_field' has field 'depth', which the feature"
                        + " does not declare")
                .contains("line 2: feature 'example/video': column 'metaxy_provenance_by_field' lacks field 'frames'")
                .contains("line 4: not valid JSON: Duplicate field 'audio'");
    }

    @Test
    void duplicateKeysInTheGraphAreARuntimeFailure() throws Exception {
        Path graph = Files.writeString(dir.resolve("dup.yaml"), "features:\n  - key: a\n    fields: [x]\n    fields: [y]\n");
        CliRun run = CliRun.run("graph", "versions", "--graph", graph.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("duplicate key 'fields' in /features/0 (line 4)");
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
        assertThat(mermaid.out()).startsWith("flowchart LR");
        Set<String> edges = mermaidEdges(mermaid.out());
        assertThat(edges).contains("example/video.audio --> example/stt.transcription", "example/crop.frames --> example/face_detection.faces")
                .doesNotContain("example/video.audio --> example/face_detection.faces");
    }

    @Test
    void mermaidNodeIdsDoNotCollide() throws Exception {
        // Name-derived ids used to give field c.x and feature c/f_x the same id "c__f_x".
        Path graph = Files.writeString(dir.resolve("ids.yaml"), """
                features:
                  - key: c
                    fields: [x]
                  - key: c/f_x
                    deps: [c]
                    fields: [x]
                  - key: c-f/x
                    deps: [c]
                    fields: [x]
                """);
        CliRun run = CliRun.run("graph", "show", "--graph", graph.toString(), "--format", "mermaid");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> declared = new ArrayList<>();
        Matcher node = Pattern.compile("^\\s*(?:subgraph )?(\\S+)\\[\"", Pattern.MULTILINE).matcher(run.out());
        while (node.find()) {
            declared.add(node.group(1));
        }
        assertThat(declared).hasSize(6).doesNotHaveDuplicates();
        assertThat(mermaidEdges(run.out())).containsExactlyInAnyOrder("c.x --> c/f_x.x", "c.x --> c-f/x.x");
    }

    /** Edges as "feature.field --> feature.field", resolved through the subgraph and node labels. */
    private static Set<String> mermaidEdges(String diagram) {
        Map<String, String> labels = new HashMap<>();
        String feature = null;
        Set<String> edges = new HashSet<>();
        for (String line : diagram.lines().map(String::strip).toList()) {
            Matcher subgraph = Pattern.compile("subgraph (\\S+)\\[\"(.+)\"]").matcher(line);
            Matcher field = Pattern.compile("(\\S+)\\[\"(.+)\"]").matcher(line);
            Matcher edge = Pattern.compile("(\\S+) --> (\\S+)").matcher(line);
            if (subgraph.matches()) {
                feature = subgraph.group(2);
            } else if (field.matches()) {
                labels.put(field.group(1), feature + "." + field.group(2));
            } else if (edge.matches()) {
                edges.add(labels.get(edge.group(1)) + " --> " + labels.get(edge.group(2)));
            }
        }
        return edges;
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
        CliRun longer = CliRun.withStdin(line, "provenance", "--graph", OVERVIEW, "--feature", "example/video", "--hash", "SHA256",
                "--hash-length", "100");
        assertThat(JSON.readTree(longer.out()).get("metaxy_provenance").asText())
                .isEqualTo(new SampleHasher(HashAlgorithm.SHA256, 64).hash("x|y")).hasSize(64);
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
    void aggregationMembersAreValidated() throws Exception {
        Path graph = Files.writeString(dir.resolve("agg.yaml"), AGGREGATION_GRAPH);
        String ok = "{\"ids\": {\"utterance\": 1}, \"speaker\": \"s1\", \"metaxy_data_version_by_field\": {\"audio\": \"a\"}}";
        List<String> lines = List.of(
                sample("s1", ok, "{\"ids\": {}, \"speaker\": \"s1\", \"metaxy_data_version_by_field\": {\"audio\": \"b\"}}"),
                sample("s1", ok, ok.replace("\"a\"", "\"b\"")),
                sample("s1", ok, ok.replace("\"utterance\": 1", "\"utterance\": \"1\"")),
                sample("s1", ok, ok.replace("\"s1\"", "\"s2\"").replace("\"utterance\": 1", "\"utterance\": 2")),
                sample("s1", ok, ok.replace("\"utterance\": 1", "\"utterance\": null")),
                sample("s1", ok, ok.replace("\"utterance\": 1", "\"utterance\": 2")),
                sample("s1", ok, ok.replace("\"speaker\": \"s1\", ", "").replace("\"utterance\": 1", "\"utterance\": 2")),
                sample("s1", ok, ok.replace("\"s1\"", "[]").replace("\"utterance\": 1", "\"utterance\": 2")));
        CliRun run = CliRun.withStdin(String.join("\n", lines) + "\n", "provenance", "--graph", graph.toString(),
                "--feature", "speaker_profile");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out().lines()).hasSize(1);
        String where = "feature 'speaker_profile' upstream 'utterance'";
        assertThat(run.err().lines()).containsExactly(
                "line 1: " + where + " member 2: id column 'utterance' is missing from 'ids'",
                "line 2: " + where + ": two group members have the same ids {utterance=1} (id columns [utterance])",
                "line 3: " + where + ": id column 'utterance' mixes numbers and text across group members (1 and \"1\")",
                "line 4: " + where + " member 2: 'on' column 'speaker' is \"s2\" but the sample's is \"s1\": the member belongs to"
                        + " another group",
                "line 5: " + where + " member 2: id column 'utterance' is missing from 'ids'",
                "line 7: " + where + " member 2: 'on' column 'speaker' is missing (each member carries the group's 'on' columns"
                        + " next to its 'ids')",
                "line 8: " + where + " member 2: 'on' column 'speaker' must be a number or a string, got []");
    }

    private static String sample(String speaker, String... members) {
        return "{\"ids\": {\"speaker\": \"" + speaker + "\"}, \"upstream\": {\"utterance\": [" + String.join(", ", members) + "]}}";
    }

    /** Metaxy's N:1 shape: the members' own ids are finer; they carry the group's 'on' column as an ordinary column. */
    private static final String AGGREGATION_GRAPH = """
                features:
                  - key: utterance
                    id_columns: [utterance]
                    fields: [audio]
                  - key: speaker_profile
                    id_columns: [speaker]
                    deps:
                      - feature: utterance
                        lineage: {type: "N:1", on: [speaker]}
                    fields: [audio]
                """;

    @Test
    void aggregationMembersAreOrderedByIdColumns() throws Exception {
        Path graph = Files.writeString(dir.resolve("agg.yaml"), AGGREGATION_GRAPH);
        String stdin = "{\"ids\": {\"speaker\": \"s1\"}, \"upstream\": {\"utterance\": ["
                + "{\"ids\": {\"utterance\": 10}, \"speaker\": \"s1\", \"metaxy_data_version_by_field\": {\"audio\": \"b\"}},"
                + "{\"ids\": {\"utterance\": 9}, \"speaker\": \"s1\", \"metaxy_data_version_by_field\": {\"audio\": \"a\"}}]}}\n";
        CliRun run = CliRun.withStdin(stdin, "provenance", "--graph", graph.toString(), "--feature", "speaker_profile");
        assertThat(run.exitCode()).as(run.err()).isZero();
        FeatureGraph g = GraphReader.read(graph);
        // Numeric order (9 before 10), not text order.
        String group = SampleHasher.DEFAULT.hash("a|b");
        assertThat(GroupDataVersion.of(SampleHasher.DEFAULT, List.of("utterance"), List.of(
                new GroupDataVersion.Member(Map.of("utterance", 10), Map.of("audio", "b")),
                new GroupDataVersion.Member(Map.of("utterance", 9), Map.of("audio", "a")))))
                .containsEntry("audio", group);
        assertThat(IncrementRules.fold(SampleHasher.DEFAULT, List.of("a", "b"))).isEqualTo(group);
        String expected = ProvenanceCalculator.of(g, FeatureKey.of("speaker_profile"), SampleHasher.DEFAULT)
                .provenanceByField(Map.of(FeatureKey.of("utterance"), Map.of("audio", group))).get("audio");
        assertThat(JSON.readTree(run.out()).at("/metaxy_provenance_by_field/audio").asText()).isEqualTo(expected);
    }
}
