package io.metaxy.flink.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.Conformance;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.GraphReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replays the recorded Metaxy runs of {@code src/test/resources/conformance/sample-provenance.json}
 * through the store: upstream rows are written, {@code resolveUpdate} of the case's feature must
 * return exactly the recorded provenance for every sample. Here on DuckDB (in-process);
 * {@link PostgresStoreConformanceITCase} replays them on a PostgreSQL server.
 */
class StoreConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void recordedCasesResolveToRecordedProvenanceOnDuckDb() {
        for (JsonNode testCase : cases()) {
            check(testCase, "duckdb:memory:");
        }
    }

    static List<JsonNode> cases() {
        List<JsonNode> cases = Conformance.cases("sample-provenance.json");
        assertThat(cases).isNotEmpty();
        return cases;
    }

    @SuppressWarnings("unchecked")
    static void check(JsonNode testCase, String url) {
        FeatureGraph graph = GraphReader.fromTree(testCase.get("graph"));
        String feature = testCase.get("feature").asText();
        Map<String, List<MetadataRow>> upstreamRows = new LinkedHashMap<>();
        Map<Map<String, Object>, Map<String, String>> expected = new HashMap<>();
        for (JsonNode sample : testCase.get("samples")) {
            Map<String, Object> ids = JSON.convertValue(sample.get("ids"), Map.class);
            Map<String, Object> normalized = new LinkedHashMap<>();
            ids.forEach((k, v) -> normalized.put(k, v instanceof Integer i ? i.longValue() : v));
            sample.get("upstream").fields().forEachRemaining(entry -> {
                Map<String, String> dataVersions = JSON.convertValue(entry.getValue().get("metaxy_data_version_by_field"), Map.class);
                upstreamRows.computeIfAbsent(entry.getKey(), k -> new ArrayList<>()).add(MetadataRow.builder()
                        .ids(normalized).provenanceByField(dataVersions).dataVersionByField(dataVersions).build());
            });
            expected.put(normalized, JSON.convertValue(sample.get("expected").get("metaxy_provenance_by_field"), Map.class));
        }
        try (MetadataStore store = MetadataStores.open(url, graph, AccessMode.WRITE)) {
            upstreamRows.forEach(store::write);
            Increment inc = store.resolveUpdate(FeatureKey.of(feature), ResolveOptions.defaults());
            Map<Map<String, Object>, Map<String, String>> actual = new HashMap<>();
            inc.added().forEach(row -> actual.put(row.ids(), row.provenanceByField()));
            assertThat(actual).isEqualTo(expected);
            assertThat(inc.stale()).isEmpty();
            assertThat(inc.orphaned()).isEmpty();
        }
    }
}
