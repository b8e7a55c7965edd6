package io.metaxy.flink.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.FeatureGraph;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@code write} then {@code read} gives back every value written, on DuckDB (the appender): text
 * with tabs, newlines, backslashes, quotes and non-ASCII characters in ids, user columns and
 * by-field versions; each user column type with nulls; microsecond timestamps; soft deletes;
 * materialization, project and definition versions. {@code WriteRoundTripPostgresITCase} holds
 * PostgreSQL's {@code COPY} to the same.
 */
class WriteRoundTripProperties {
    static final FeatureGraph GRAPH = TestGraphs.graph("1");
    static final List<String> COLUMNS = List.of("label", "score", "count", "flag");

    @Property(tries = 40)
    void whatIsWrittenIsRead(@ForAll("rows") List<MetadataRow> rows) throws Exception {
        Path dir = Files.createTempDirectory("mxroundtrip");
        try {
            check("duckdb:" + dir.resolve("r.duckdb"), rows);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Writes {@code rows} (one per sample) to a fresh store at {@code url} in two calls and reads them back. */
    static void check(String url, List<MetadataRow> rows) {
        try (MetadataStore store = MetadataStores.open(url, GRAPH, AccessMode.WRITE)) {
            int half = rows.size() / 2;
            store.write(TestGraphs.VIDEO, rows.subList(0, half));
            store.write(TestGraphs.VIDEO, rows.subList(half, rows.size()));
            Map<Object, MetadataRow> read = new HashMap<>();
            for (MetadataRow row : store.read(TestGraphs.VIDEO, ReadOptions.defaults().includeDeleted(true))) {
                read.put(row.ids().get("sample_uid"), row);
            }
            assertThat(read).hasSize(rows.size());
            for (MetadataRow written : rows) {
                MetadataRow back = read.get(written.ids().get("sample_uid"));
                assertThat(back.ids()).isEqualTo(written.ids());
                for (String column : COLUMNS) {
                    assertThat(back.columns().get(column)).as(column).isEqualTo(written.columns().get(column));
                }
                assertThat(back.provenanceByField()).isEqualTo(written.provenanceByField());
                assertThat(back.createdAt()).isEqualTo(written.createdAt());
                assertThat(back.deletedAt()).isEqualTo(written.deletedAt());
                assertThat(back.materializationId()).isEqualTo(written.materializationId());
                assertThat(back.projectVersion()).isEqualTo(written.projectVersion());
                assertThat(back.definitionVersion()).isEqualTo(written.definitionVersion());
            }
        }
    }

    @Provide
    Arbitrary<List<MetadataRow>> rows() {
        return Arbitraries.integers().between(1, 40).flatMap(n -> row().list().ofSize(n)).map(list -> {
            // One row per sample: ids are the position.
            List<MetadataRow> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                MetadataRow row = list.get(i);
                Map<String, Object> columns = new HashMap<>(row.columns());
                if (i == 0) {
                    // The first write types each new column by its first non-null value.
                    Map<String, Object> typed = Map.of("label", "x", "score", 0.5, "count", 1L, "flag", true);
                    typed.forEach((name, value) -> {
                        if (columns.get(name) == null) {
                            columns.put(name, value);
                        }
                    });
                }
                out.add(row.toBuilder().ids(Map.of("sample_uid", (long) i)).columns(columns).build());
            }
            return out;
        });
    }

    private static Arbitrary<String> text() {
        return Arbitraries.strings().withChars("\t\n\r\\\"',{}:[] ").alpha().numeric()
                .withCharRange('\u00e0', '\u00ff').withChars('\u4e2d', '\u00b5').ofMinLength(0).ofMaxLength(12);
    }

    private static Arbitrary<Instant> micros() {
        return Arbitraries.longs().between(0, 4_102_444_800_000_000L).map(us -> Instant.EPOCH.plusNanos(us * 1000));
    }

    private static Arbitrary<MetadataRow> row() {
        Arbitrary<Map<String, Object>> columns = Combinators.combine(text().injectNull(0.2),
                Arbitraries.doubles().between(-1e12, 1e12).injectNull(0.2), Arbitraries.longs().injectNull(0.2),
                Arbitraries.of(true, false).injectNull(0.2)).as((label, score, count, flag) -> {
                    Map<String, Object> m = new HashMap<>();
                    m.put("label", label);
                    m.put("score", score);
                    m.put("count", count);
                    m.put("flag", flag);
                    return m;
                });
        return Combinators.combine(columns, text(), text(), micros(), micros().injectNull(0.7), text().injectNull(0.3),
                text().injectNull(0.5)).as((cols, audio, frames, created, deleted, mid, project) -> MetadataRow.builder()
                        .ids(Map.of("sample_uid", 0L)).columns(cols).provenanceByField(Map.of("audio", audio, "frames", frames))
                        .createdAt(created).deletedAt(deleted).materializationId(mid).projectVersion(project)
                        .definitionVersion(project == null ? null : project + "/d").build());
    }
}
