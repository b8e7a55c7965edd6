package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code metadata} commands against a DuckDB file holding the example graph's parent rows. */
class MetadataCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    String store;
    String graph;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    @BeforeEach
    void seed() throws Exception {
        Path graphFile = dir.resolve("graph.json");
        String graphText = """
                {"examples/parent": {"feature_spec": {"key": "examples/parent", "id_columns": ["sample_uid"], "deps": [],
                   "fields": [{"key": "embeddings", "code_version": "1", "deps": []}]}},
                 "examples/child": {"feature_spec": {"key": "examples/child", "id_columns": ["sample_uid"],
                   "deps": [{"feature": "examples/parent"}], "fields": [{"key": "predictions", "deps": []}]}}}
                """;
        Files.writeString(graphFile, graphText);
        graph = graphFile.toString();
        store = "duckdb:" + dir.resolve("m.duckdb");
        try (MetadataStore s = MetadataStores.open(store, GraphReader.parse(graphText), AccessMode.WRITE)) {
            s.write("examples/parent", List.of(
                    MetadataRow.builder().ids(Map.of("sample_uid", 1L)).provenanceByField(Map.of("embeddings", "v1")).build(),
                    MetadataRow.builder().ids(Map.of("sample_uid", 2L)).provenanceByField(Map.of("embeddings", "v2")).build()));
        }
    }

    private int run(String... args) {
        CommandLine cli = MetaxyCommand.newCommandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    private List<JsonNode> lines() throws Exception {
        List<JsonNode> nodes = new java.util.ArrayList<>();
        for (String line : out.toString().split("\n")) {
            if (!line.isBlank()) {
                nodes.add(JSON.readTree(line));
            }
        }
        return nodes;
    }

    @Test
    void resolvePrintsExpectedProvenanceAsJsonLines() throws Exception {
        assertThat(run("metadata", "resolve", "--store", store, "--graph", graph, "--feature", "examples/child")).isZero();
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).get("kind").asText()).isEqualTo("new");
        // The recorded Metaxy value for parent data version v1 (src/test/resources/conformance).
        assertThat(lines.get(0).get("metaxy_provenance_by_field").get("predictions").asText()).isEqualTo("24503967");
    }

    @Test
    void resolvePrintsTheMembersOfAnAggregation() throws Exception {
        Path graphFile = dir.resolve("agg.yaml");
        String graphText = """
                features:
                  - key: audio
                    id_columns: [audio_id]
                    fields: [default]
                  - key: speaker/embedding
                    id_columns: [speaker_id]
                    deps:
                      - feature: audio
                        lineage: {type: "N:1", on: [speaker_id]}
                    fields: [embedding]
                """;
        Files.writeString(graphFile, graphText);
        String aggStore = "duckdb:" + dir.resolve("agg.duckdb");
        try (MetadataStore s = MetadataStores.open(aggStore, GraphReader.read(graphFile), AccessMode.WRITE)) {
            s.write("audio", List.of(
                    MetadataRow.builder().ids(Map.of("audio_id", "a2")).column("speaker_id", "s1").column("path", "p2")
                            .provenanceByField(Map.of("default", "a2_v1")).build(),
                    MetadataRow.builder().ids(Map.of("audio_id", "a1")).column("speaker_id", "s1").column("path", "p1")
                            .provenanceByField(Map.of("default", "a1_v1")).build()));
        }
        assertThat(run("metadata", "resolve", "--store", aggStore, "--graph", graphFile.toString(), "--feature",
                "speaker/embedding")).as(err.toString()).isZero();
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).get("speaker_id").asText()).isEqualTo("s1");
        assertThat(lines.get(0).get("members").toString()).isEqualTo(
                "{\"audio\":[{\"audio_id\":\"a1\",\"speaker_id\":\"s1\",\"path\":\"p1\"},"
                        + "{\"audio_id\":\"a2\",\"speaker_id\":\"s1\",\"path\":\"p2\"}]}");
    }

    @Test
    void readFiltersAndStatusCounts() throws Exception {
        assertThat(run("metadata", "read", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--filter", "sample_uid>1")).isZero();
        assertThat(lines()).extracting(n -> n.get("sample_uid").asLong()).containsExactly(2L);
        out.getBuffer().setLength(0);
        assertThat(run("metadata", "status", "--store", store, "--graph", graph, "--format", "table")).isZero();
        String[] table = out.toString().split("\n");
        assertThat(table[0]).startsWith("feature").contains("rows", "new", "stale", "orphaned");
        // A root has no upstream to compare with: as in Metaxy's status, its counts are 0.
        assertThat(table[1].split("\\s+")).containsExactly("examples/parent", "2", "0", "0", "0", "true");
        assertThat(table[2].split("\\s+")).containsExactly("examples/child", "0", "2", "0", "0");
    }

    @Test
    void statusAppliesTheGlobalFilterWhereItsColumnsAreKeysAndSaysWhereNot() throws Exception {
        // The example's two features plus a root keyed by another column.
        Path graphFile = dir.resolve("graph2.json");
        String other = """
                {"examples/other": {"feature_spec": {"key": "examples/other", "id_columns": ["other_id"], "deps": [],
                   "fields": [{"key": "x", "code_version": "1", "deps": []}]}},
                """;
        Files.writeString(graphFile, other + Files.readString(Path.of(graph)).strip().substring(1));
        assertThat(run("metadata", "status", "--store", store, "--graph", graphFile.toString(), "--global-filter", "sample_uid=1")).isZero();
        Map<String, JsonNode> byFeature = new java.util.HashMap<>();
        lines().forEach(n -> byFeature.put(n.get("feature").asText(), n));
        assertThat(byFeature.get("examples/parent").get("rows").asInt()).isEqualTo(1);
        assertThat(byFeature.get("examples/child").get("new").asInt()).isEqualTo(1);
        assertThat(byFeature.get("examples/other").get("rows").isNull()).isTrue();
        assertThat(byFeature.get("examples/other").get("skipped").asText()).contains("sample_uid").contains("other_id");

        // A value the column cannot hold: a runtime failure naming column and value.
        assertThat(run("metadata", "read", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--filter", "sample_uid=abc")).isEqualTo(1);
        assertThat(err.toString()).contains("sample_uid").contains("abc");
    }

    @Test
    void resolveTakesRootSamplesAsJsonLines() throws Exception {
        Path samples = dir.resolve("samples.jsonl");
        // Both row shapes: the feature topic's (flat) and provenance's root input ({"ids": …}).
        Files.writeString(samples, String.join("\n",
                "{\"sample_uid\": 1, \"path\": \"s3://1\", \"metaxy_provenance_by_field\": {\"embeddings\": \"v1\"}}",
                "{\"ids\": {\"sample_uid\": 2}, \"metaxy_provenance_by_field\": {\"embeddings\": \"v2-new\"}}",
                "",
                "{\"sample_uid\": 3, \"metaxy_provenance_by_field\": {\"embeddings\": \"v3\"}}"));
        assertThat(run("metadata", "resolve", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--samples", samples.toString())).isZero();
        List<JsonNode> lines = lines();
        assertThat(lines).extracting(n -> n.get("kind").asText() + ":" + n.get("sample_uid").asLong())
                .containsExactly("new:3", "stale:2");
        // Without samples a root feature has nothing to compare: an error naming the option.
        assertThat(run("metadata", "resolve", "--store", store, "--graph", graph, "--feature", "examples/parent")).isEqualTo(1);
        assertThat(err.toString()).contains("examples/parent").contains("--samples");
        Files.writeString(samples, "{\"metaxy_provenance_by_field\": {\"embeddings\": \"v1\"}}");
        assertThat(run("metadata", "resolve", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--samples", samples.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("line 1").contains("sample_uid");
    }

    @Test
    void theHashSettingIsTheStores() throws Exception {
        // The store was written with xxhash32/8: under another length its rows are of another feature version.
        assertThat(run("metadata", "read", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--hash-length", "12")).isZero();
        assertThat(lines()).isEmpty();
        assertThat(run("metadata", "read", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--hash-length", "12", "--feature-history")).isZero();
        assertThat(lines()).hasSize(2);
        out.getBuffer().setLength(0);
        // Nor are they the current upstream of the child there; root samples are hashed with md5/12.
        assertThat(run("metadata", "resolve", "--store", store, "--graph", graph, "--feature", "examples/child",
                "--hash", "md5", "--hash-length", "12")).isZero();
        assertThat(lines()).isEmpty();
        Path samples = dir.resolve("samples.jsonl");
        Files.writeString(samples, "{\"sample_uid\": 1, \"metaxy_provenance_by_field\": {\"embeddings\": \"v1\"}}");
        assertThat(run("metadata", "resolve", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--hash", "md5", "--hash-length", "12", "--samples", samples.toString())).isZero();
        assertThat(lines()).extracting(n -> n.get("kind").asText() + ":" + n.get("metaxy_provenance").asText().length())
                .containsExactly("new:12");
        assertThat(run("metadata", "read", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--hash-length", "7")).isEqualTo(2);
    }

    @Test
    void deleteNeedsAFilterAndSoftDeletes() throws Exception {
        assertThat(run("metadata", "delete", "--store", store, "--graph", graph, "--feature", "examples/parent")).isEqualTo(2);
        assertThat(run("metadata", "delete", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--filter", "sample_uid=1")).isZero();
        out.getBuffer().setLength(0);
        assertThat(run("metadata", "read", "--store", store, "--graph", graph, "--feature", "examples/parent")).isZero();
        assertThat(lines()).extracting(n -> n.get("sample_uid").asLong()).containsExactly(2L);
    }

    @Test
    void failuresHaveExitCodes() {
        assertThat(run("metadata", "read", "--store", store, "--graph", graph, "--feature", "no/such")).isEqualTo(1);
        assertThat(err.toString()).contains("no/such");
        assertThat(run("metadata", "read", "--store", store, "--graph", graph, "--feature", "examples/parent",
                "--filter", "not a filter")).isEqualTo(2);
        assertThat(run("metadata", "bogus")).isEqualTo(2);
    }
}
