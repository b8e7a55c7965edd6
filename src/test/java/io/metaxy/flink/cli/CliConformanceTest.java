package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.Conformance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every conformance vector through the CLI, as a Metaxy user would run it. */
class CliConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static Stream<JsonNode> definitionCases() {
        return Conformance.cases("definition-versions.json").stream();
    }

    static Stream<JsonNode> provenanceCases() {
        return Conformance.cases("sample-provenance.json").stream();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("definitionCases")
    void graphVersionsPrintsRecordedVersions(JsonNode vector) throws Exception {
        Path graph = Files.writeString(dir.resolve("graph.json"), vector.get("graph").toString());
        CliRun run = CliRun.run("graph", "versions", "--graph", graph.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode printed = JSON.readTree(run.out());
        assertThat(printed.get("graph_version").asText()).hasSize(8);
        vector.get("expected").fields().forEachRemaining(e -> {
            JsonNode feature = printed.get("features").get(e.getKey());
            assertThat(feature.get("feature_version")).isEqualTo(e.getValue().get("feature_version"));
            assertThat(feature.get("fields")).isEqualTo(e.getValue().get("fields"));
            assertThat(feature.get("code_version").asText()).hasSize(8);
        });
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("provenanceCases")
    void provenanceCommandReproducesRecordedProvenance(JsonNode vector) throws Exception {
        Path graph = Files.writeString(dir.resolve("graph.json"), vector.get("graph").toString());
        StringBuilder stdin = new StringBuilder();
        List<JsonNode> expected = new ArrayList<>();
        for (JsonNode sample : vector.get("samples")) {
            ObjectNode line = JSON.createObjectNode();
            line.set("ids", sample.get("ids"));
            line.set("upstream", sample.get("upstream"));
            stdin.append(line).append('\n');
            expected.add(sample.get("expected").get("metaxy_provenance_by_field"));
        }
        CliRun run = CliRun.withStdin(stdin.toString(), "provenance", "--graph", graph.toString(), "--feature", vector.get("feature").asText());
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(expected.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode out = JSON.readTree(lines.get(i));
            assertThat(out.get("ids")).isEqualTo(vector.get("samples").get(i).get("ids"));
            assertThat(out.get("metaxy_provenance_by_field")).isEqualTo(expected.get(i));
            assertThat(out.get("metaxy_provenance").asText()).hasSizeBetween(1, 8);
        }
    }
}
