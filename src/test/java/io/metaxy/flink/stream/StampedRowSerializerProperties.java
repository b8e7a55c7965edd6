package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/** {@link StampedRow.Serializer}: every row the parse can make comes back field for field. */
class StampedRowSerializerProperties {
    private static final StampedRow.Serializer SERIALIZER = StampedRow.Serializer.INSTANCE;

    static StampedRow roundTrip(StampedRow row) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        SERIALIZER.serialize(row, out);
        DataOutputSerializer copied = new DataOutputSerializer(64);
        // The binary copy (used when Flink spills or re-partitions) must keep the layout too.
        SERIALIZER.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
        assertThat(copied.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        StampedRow back = SERIALIZER.deserialize(in);
        assertThat(in.available()).isZero();
        return back;
    }

    /** The row with its JSON rendered: what is sent is the typed values, the JSON is derived on demand. */
    static StampedRow rendered(StampedRow row) {
        row.idsJson();
        row.columnsJson();
        row.ids();
        row.columns();
        return row;
    }

    @Property(tries = 300)
    void roundTripsAnyRow(@ForAll("rows") StampedRow row) throws Exception {
        StampedRow back = rendered(roundTrip(row));
        assertThat(back).usingRecursiveComparison().isEqualTo(rendered(row));
        assertThat(SERIALIZER.copy(row)).usingRecursiveComparison().isEqualTo(row);
        // Data versions that are the provenance (no writer-given ones) stay one array.
        assertThat(back.dataVersionByField == back.provenanceByField).isEqualTo(row.dataVersionByField == row.provenanceByField);
    }

    /** A row made from JSON alone (tests, hand-made rows) is sent typed and comes back with the same JSON. */
    @Property(tries = 200)
    void jsonOnlyRowsRoundTrip(@ForAll("objects") com.fasterxml.jackson.databind.JsonNode ids,
            @ForAll("objects") com.fasterxml.jackson.databind.JsonNode columns) throws Exception {
        StampedRow row = new StampedRow();
        row.feature = "f";
        row.op = RowOp.UPSERT;
        row.idsJson(RowParser.canonical(ids));
        row.columnsJson(RowParser.canonical(columns));
        StampedRow back = roundTrip(row);
        assertThat(back.idsJson()).isEqualTo(row.idsJson());
        assertThat(back.columnsJson()).isEqualTo(row.columnsJson());
        assertThat(back.ids()).isEqualTo(row.ids());
        assertThat(back.columns()).isEqualTo(row.columns());
    }

    @Provide
    Arbitrary<com.fasterxml.jackson.databind.JsonNode> objects() {
        return RowValuesProperties.objects();
    }

    @Property(tries = 50)
    void parsedRowsRoundTrip(@ForAll("paths") String path, @ForAll("versions") String audio) throws Exception {
        StampedRow row = RowParserTest.PARSER.parse(RawRecord.of("metaxy.example__video", 0, 7,
                "{\"sample_uid\":1}", "{\"path\":\"" + path + "\",\"metaxy_provenance_by_field\":{\"audio\":\"" + audio
                        + "\",\"frames\":\"f1\"}}"));
        assertThat(rendered(roundTrip(row))).usingRecursiveComparison().isEqualTo(rendered(row));
    }

    @Provide
    Arbitrary<String> paths() {
        return Arbitraries.strings().alpha().numeric().withChars('é', '-', '.', '/').ofMinLength(1).ofMaxLength(40);
    }

    @Provide
    Arbitrary<String> versions() {
        return Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(10);
    }

    @Provide
    Arbitrary<StampedRow> rows() {
        Arbitrary<String> text = Arbitraries.strings().ofMaxLength(60);
        Arbitrary<String> nullable = text.injectNull(0.3);
        Arbitrary<String[]> versions = Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(10)
                .array(String[].class).ofMaxSize(5).injectNull(0.2);
        return Builders.withBuilder(StampedRow::new)
                .use(text).in((r, v) -> { r.feature = v; return r; })
                .use(RowValuesProperties.objects().injectNull(0.1)).in((r, v) -> {
                    RowValues ids = v == null ? null : RowValues.ofObject(v);
                    r.ids(ids, ids == null ? null : ids.toJson());
                    return r;
                })
                .use(Arbitraries.of(RowOp.class)).in((r, v) -> { r.op = v; return r; })
                .use(RowValuesProperties.objects().injectNull(0.3)).in((r, v) -> {
                    r.columns(v == null ? null : RowValues.ofObject(v));
                    return r;
                })
                .use(versions).in((r, v) -> { r.provenanceByField = v; return r; })
                .use(nullable).in((r, v) -> { r.provenance = v; return r; })
                .use(versions.optional(0.5)).in((r, v) -> {
                    // Either the provenance itself (the parse's default) or the writer's own.
                    r.dataVersionByField = v.isPresent() ? v.get() : r.provenanceByField;
                    return r;
                })
                .use(nullable).in((r, v) -> { r.dataVersion = v; return r; })
                .use(nullable).in((r, v) -> { r.featureVersion = v; return r; })
                .use(Arbitraries.longs()).in((r, v) -> { r.createdAt = v; return r; })
                .use(Arbitraries.longs()).in((r, v) -> { r.updatedAt = v; return r; })
                .use(Arbitraries.longs().injectNull(0.5)).in((r, v) -> { r.deletedAt = v; return r; })
                .use(nullable).in((r, v) -> { r.materializationId = v; return r; })
                .use(nullable).in((r, v) -> { r.projectVersion = v; return r; })
                .use(nullable).in((r, v) -> { r.definitionVersion = v; return r; })
                .use(nullable).in((r, v) -> { r.topic = v; return r; })
                .use(Arbitraries.integers()).in((r, v) -> { r.partition = v; return r; })
                .use(Arbitraries.longs()).in((r, v) -> { r.offset = v; return r; })
                .use(Arbitraries.of(true, false)).in((r, v) -> { r.seed = v; return r; })
                .build();
    }
}
