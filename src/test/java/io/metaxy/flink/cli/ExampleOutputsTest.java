package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.Conformance;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code examples/expected/} true: .ci/run diffs the shaded jar's output against these files,
 * so they must equal what the CLI prints in-process and what Metaxy recorded.
 */
class ExampleOutputsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path EXPECTED = Path.of("examples", "expected");
    private static final String OVERVIEW = Path.of("examples", "overview.yaml").toString();

    @Test
    void graphVersionsFileIsTheCliOutputAndMetaxysRecordedVersions() throws Exception {
        String expected = Files.readString(EXPECTED.resolve("graph-versions.json"));
        CliRun run = CliRun.run("graph", "versions", "--graph", OVERVIEW);
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(expected);

        // examples/overview.yaml is Metaxy's example-overview graph, state 1.
        JsonNode recorded = Conformance.cases("definition-versions.json").get(0);
        assertThat(recorded.get("name").asText()).isEqualTo("example-overview state 1");
        JsonNode printed = JSON.readTree(expected).get("features");
        assertThat(printed.size()).isEqualTo(recorded.get("expected").size());
        recorded.get("expected").fields().forEachRemaining(e -> {
            assertThat(printed.get(e.getKey()).get("feature_version")).isEqualTo(e.getValue().get("feature_version"));
            assertThat(printed.get(e.getKey()).get("fields")).isEqualTo(e.getValue().get("fields"));
        });
    }

    @Test
    void provenanceFileIsTheCliOutputAndTheCalculators() throws Exception {
        String input = Files.readString(EXPECTED.resolve("crop-provenance.in.jsonl"));
        String expected = Files.readString(EXPECTED.resolve("crop-provenance.out.jsonl"));
        CliRun run = CliRun.withStdin(input, "provenance", "--graph", OVERVIEW, "--feature", "example/crop");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(expected);

        JsonNode in = JSON.readTree(input);
        ProvenanceCalculator crop = ProvenanceCalculator.of(GraphReader.read(Path.of(OVERVIEW)), FeatureKey.of("example/crop"),
                SampleHasher.DEFAULT);
        Map<String, String> video = JSON.convertValue(in.at("/upstream/example~1video/metaxy_data_version_by_field"),
                new TypeReference<Map<String, String>>() {});
        Map<String, String> byField = crop.provenanceByField(Map.of(FeatureKey.of("example/video"), video));
        JsonNode out = JSON.readTree(expected);
        assertThat(JSON.convertValue(out.get("metaxy_provenance_by_field"), Map.class)).isEqualTo(byField);
        assertThat(out.get("metaxy_provenance").asText()).isEqualTo(crop.provenance(byField));
    }
}
