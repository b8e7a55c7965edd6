package io.metaxy.flink.stream;

import io.metaxy.flink.store.MetadataRow;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated metadata row with its system columns stamped (design §4), plus its source position.
 * This is what a store sink appends; per-field arrays follow the feature's sorted fields in the
 * {@link StreamPlan}. Ids and user columns are parsed once, by the {@link RowParser}, into typed
 * {@link RowValues} ({@link #ids()}, {@link #columns()}): the store sink appends those without
 * parsing JSON, and the record crosses the network with them in binary. Their canonical JSON
 * ({@link #idsJson()}, {@link #columnsJson()}) is kept where the parse made it and otherwise
 * rendered from the typed values when first asked for.
 *
 * <pre>{@code
 * MetadataRow row = stamped.toMetadataRow(plan); // for MetadataStore.write(feature, rows)
 * }</pre>
 */
@TypeInfo(StampedRow.TypeFactory.class)
public class StampedRow {
    public String feature;
    /** The ids as a canonical JSON object (record keys, increments, logs); null until rendered from {@link #ids}. */
    private String idsJson;
    public RowOp op;
    /** The typed ids; null until derived from {@link #idsJson}. */
    private RowValues ids;
    /** User columns as a canonical JSON object, null for a hard delete (then {@link #columns} is null too) or until rendered. */
    private String columnsJson;
    /** The typed user columns; null for a hard delete or until derived from {@link #columnsJson}. */
    private RowValues columns;
    public String[] provenanceByField;
    public String provenance;
    public String[] dataVersionByField;
    public String dataVersion;
    public String featureVersion;
    public long createdAt;
    public long updatedAt;
    public Long deletedAt;
    public String materializationId;
    /** Metaxy's {@code metaxy_project_version} / {@code metaxy_definition_version} as written; carried to the store. */
    public String projectVersion;
    public String definitionVersion;
    public String topic;
    public int partition;
    public long offset;
    /** A bootstrap seed ({@link RawRecord#seed}): already in the store, so the store sink skips it. */
    public boolean seed;

    public StampedRow() {}

    /** Where the row came from, {@code topic/partition/offset}: unique per input record. */
    public String sourcePosition() {
        return topic + "/" + partition + "/" + offset;
    }

    /**
     * The row's key for idempotent store appends, unique per source record:
     * {@code <writer's materialization id>@<topic>/<partition>/<offset>}, or just the source
     * position when the writer gave none. Writers' run ids stay recognisable (a prefix), and a
     * replay of the same record yields the same key. Kafka topic names cannot contain '@' or '/',
     * so {@link #parsePosition} recovers the position from the part after the last '@'.
     */
    public String storeMaterializationId() {
        return materializationId == null ? sourcePosition() : materializationId + "@" + sourcePosition();
    }

    /** The {@code {topic, partition, offset}} of a key made by {@link #storeMaterializationId}, or null. */
    public static Object[] parsePosition(String materializationId) {
        if (materializationId == null) {
            return null;
        }
        String position = materializationId.substring(materializationId.lastIndexOf('@') + 1);
        String[] parts = position.split("/", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            return new Object[] {parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2])};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The row as the store API sees it, with {@link #storeMaterializationId()} as its
     * {@code metaxy_materialization_id}, so a store sink writing with
     * {@code WriteOptions.idempotent()} appends nothing twice when it replays after a failure. A
     * hard delete ({@link RowOp#HARD_DELETE}) has no system columns: a sink turns it into a
     * delete by ids. A soft delete without provenance carries none either: the sink tombstones
     * the sample's latest row.
     */
    public MetadataRow toMetadataRow(StreamPlan plan) {
        List<String> fields = plan.feature(feature).fields;
        MetadataRow.Builder b = MetadataRow.builder().ids(new LinkedHashMap<>(ids()))
                .featureVersion(featureVersion).provenance(provenance).dataVersion(dataVersion)
                .createdAt(Instant.ofEpochMilli(createdAt)).updatedAt(Instant.ofEpochMilli(updatedAt))
                .deletedAt(deletedAt == null ? null : Instant.ofEpochMilli(deletedAt))
                .materializationId(storeMaterializationId())
                .projectVersion(projectVersion).definitionVersion(definitionVersion);
        if (columns() != null) {
            b.columns(new LinkedHashMap<>(columns()));
        }
        if (provenanceByField != null) {
            b.provenanceByField(byField(fields, provenanceByField));
        }
        if (dataVersionByField != null) {
            b.dataVersionByField(byField(fields, dataVersionByField));
        }
        return b.build();
    }

    /** The typed ids, names sorted (derived from {@link #idsJson()} once if the row was built from JSON). */
    public RowValues ids() {
        if (ids == null && idsJson != null) {
            ids = RowValues.ofJson(idsJson);
        }
        return ids;
    }

    /** The ids as a canonical JSON object; rendered from the typed ids when first asked for (the store sink never asks). */
    public String idsJson() {
        if (idsJson == null && ids != null) {
            idsJson = ids.toJson();
        }
        return idsJson;
    }

    /** Sets the ids as canonical JSON (tests, hand-made rows); typed when first asked for. */
    public void idsJson(String json) {
        idsJson = json;
        ids = null;
    }

    /** Sets the typed ids and their canonical JSON (the parse has both). */
    public void ids(RowValues values, String json) {
        ids = values;
        idsJson = json;
    }

    /** The typed user columns, names sorted; empty when the row has none, null for a hard delete. */
    public RowValues columns() {
        if (columns == null && columnsJson != null) {
            columns = RowValues.ofJson(columnsJson);
        }
        return columns;
    }

    /** User columns as a canonical JSON object ({@code "{}"} when none); null for a hard delete. */
    public String columnsJson() {
        if (columnsJson == null && columns != null) {
            columnsJson = columns.toJson();
        }
        return columnsJson;
    }

    /** Sets the user columns as typed values; their JSON is rendered when first asked for. */
    public void columns(RowValues values) {
        columns = values;
        columnsJson = null;
    }

    /** Sets the user columns as canonical JSON (tests, hand-made rows); typed when first asked for. */
    public void columnsJson(String json) {
        columnsJson = json;
        columns = null;
    }

    private static Map<String, String> byField(List<String> fields, String[] values) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            out.put(fields.get(i), values[i]);
        }
        return out;
    }

    @Override
    public String toString() {
        return op + " " + feature + " " + idsJson() + " prov=" + provenance + " fv=" + featureVersion;
    }

    /**
     * The job's type for stamped rows: its own {@link Serializer} rather than Flink's reflective
     * POJO serializer, which a profile of the store sink's thread found spending a tenth of its
     * time on (field accessors, a null mask and boxing per field).
     */
    public static final TypeInformation<StampedRow> TYPE = new SerializerTypeInfo<>(StampedRow.class, Serializer.INSTANCE);

    /**
     * Makes {@link #TYPE} what Flink infers for the class wherever it is not passed explicitly:
     * the typed ids and columns are not POJO fields, so the reflective analysis would fall back
     * to Kryo, which the job forbids.
     */
    public static final class TypeFactory extends TypeInfoFactory<StampedRow> {
        @Override
        public TypeInformation<StampedRow> createTypeInfo(java.lang.reflect.Type t,
                Map<String, TypeInformation<?>> genericParameters) {
            return TYPE;
        }
    }

    /**
     * Field by field, nullable strings with a presence byte ({@link BinaryCodec}); ids and user
     * columns as typed {@link RowValues} (names, a tag and the value in binary), so the receiver
     * parses no JSON. Stamped rows travel between operators only (no state holds them), so the
     * layout may change freely.
     */
    public static final class Serializer extends CompactSerializer<StampedRow> {
        private static final long serialVersionUID = 1L;
        public static final Serializer INSTANCE = new Serializer();
        private static final RowOp[] OPS = RowOp.values();

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public StampedRow createInstance() {
            return new StampedRow();
        }

        /** Shallow: no part of a row (strings, the per-field arrays) is changed after the parse. */
        @Override
        public StampedRow copy(StampedRow from) {
            StampedRow r = new StampedRow();
            r.feature = from.feature;
            r.idsJson = from.idsJson;
            r.ids = from.ids;
            r.op = from.op;
            r.columnsJson = from.columnsJson;
            r.columns = from.columns;
            r.provenanceByField = from.provenanceByField;
            r.provenance = from.provenance;
            r.dataVersionByField = from.dataVersionByField;
            r.dataVersion = from.dataVersion;
            r.featureVersion = from.featureVersion;
            r.createdAt = from.createdAt;
            r.updatedAt = from.updatedAt;
            r.deletedAt = from.deletedAt;
            r.materializationId = from.materializationId;
            r.projectVersion = from.projectVersion;
            r.definitionVersion = from.definitionVersion;
            r.topic = from.topic;
            r.partition = from.partition;
            r.offset = from.offset;
            r.seed = from.seed;
            return r;
        }

        @Override
        public void serialize(StampedRow r, DataOutputView out) throws IOException {
            BinaryCodec.writeString(out, r.feature);
            writeValues(out, r.ids());
            out.writeByte(r.op.ordinal());
            writeValues(out, r.columns());
            BinaryCodec.writeStrings(out, r.provenanceByField);
            BinaryCodec.writeNullableString(out, r.provenance);
            // Unless the writer gave its own, the data versions are the provenance: sent once.
            boolean sameVersions = r.dataVersionByField == r.provenanceByField;
            out.writeBoolean(sameVersions);
            if (!sameVersions) {
                BinaryCodec.writeStrings(out, r.dataVersionByField);
            }
            BinaryCodec.writeNullableString(out, r.dataVersion);
            BinaryCodec.writeNullableString(out, r.featureVersion);
            out.writeLong(r.createdAt);
            out.writeLong(r.updatedAt);
            out.writeBoolean(r.deletedAt != null);
            if (r.deletedAt != null) {
                out.writeLong(r.deletedAt);
            }
            BinaryCodec.writeNullableString(out, r.materializationId);
            BinaryCodec.writeNullableString(out, r.projectVersion);
            BinaryCodec.writeNullableString(out, r.definitionVersion);
            BinaryCodec.writeNullableString(out, r.topic);
            out.writeInt(r.partition);
            out.writeLong(r.offset);
            out.writeBoolean(r.seed);
        }

        @Override
        public StampedRow deserialize(DataInputView in) throws IOException {
            StampedRow r = new StampedRow();
            r.feature = BinaryCodec.readString(in);
            r.ids = readValues(in);
            r.op = OPS[in.readUnsignedByte()];
            r.columns = readValues(in);
            r.provenanceByField = BinaryCodec.readStrings(in);
            r.provenance = BinaryCodec.readNullableString(in);
            r.dataVersionByField = in.readBoolean() ? r.provenanceByField : BinaryCodec.readStrings(in);
            r.dataVersion = BinaryCodec.readNullableString(in);
            r.featureVersion = BinaryCodec.readNullableString(in);
            r.createdAt = in.readLong();
            r.updatedAt = in.readLong();
            r.deletedAt = in.readBoolean() ? in.readLong() : null;
            r.materializationId = BinaryCodec.readNullableString(in);
            r.projectVersion = BinaryCodec.readNullableString(in);
            r.definitionVersion = BinaryCodec.readNullableString(in);
            r.topic = BinaryCodec.readNullableString(in);
            r.partition = in.readInt();
            r.offset = in.readLong();
            r.seed = in.readBoolean();
            return r;
        }

        private static void writeValues(DataOutputView out, RowValues values) throws IOException {
            out.writeBoolean(values != null);
            if (values != null) {
                values.write(out);
            }
        }

        private static RowValues readValues(DataInputView in) throws IOException {
            return in.readBoolean() ? RowValues.read(in) : null;
        }

        @Override
        public TypeSerializerSnapshot<StampedRow> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Restores the serializer from its snapshot (the TypeSerializer contract). */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<StampedRow> {
            public Snapshot() {
                super(() -> INSTANCE);
            }
        }
    }
}
