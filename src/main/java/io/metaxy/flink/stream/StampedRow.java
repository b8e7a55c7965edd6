package io.metaxy.flink.stream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.store.MetadataRow;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * {@link StreamPlan}. Ids and user columns travel as canonical JSON so the record stays a flat
 * Flink POJO (no Kryo).
 *
 * <pre>{@code
 * MetadataRow row = stamped.toMetadataRow(plan); // for MetadataStore.write(feature, rows)
 * }</pre>
 */
public class StampedRow {
    /**
     * A shared (not thread-local) buffer pool and a reader built once: the store sink parses every
     * row's ids and columns, and the thread-local pool's lookup and a per-call type resolution
     * dominated that in profiles.
     */
    private static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .recyclerPool(com.fasterxml.jackson.core.util.JsonRecyclerPools.sharedConcurrentDequePool()).build());
    private static final com.fasterxml.jackson.databind.ObjectReader OBJECT =
            JSON.readerFor(new TypeReference<LinkedHashMap<String, Object>>() {});

    public String feature;
    public String idsJson;
    public RowOp op;
    /** User columns as a canonical JSON object; null for a hard delete. */
    public String columnsJson;
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
        MetadataRow.Builder b = MetadataRow.builder().ids(parseJsonObject(idsJson))
                .featureVersion(featureVersion).provenance(provenance).dataVersion(dataVersion)
                .createdAt(Instant.ofEpochMilli(createdAt)).updatedAt(Instant.ofEpochMilli(updatedAt))
                .deletedAt(deletedAt == null ? null : Instant.ofEpochMilli(deletedAt))
                .materializationId(storeMaterializationId())
                .projectVersion(projectVersion).definitionVersion(definitionVersion);
        if (columnsJson != null) {
            b.columns(parseJsonObject(columnsJson));
        }
        if (provenanceByField != null) {
            b.provenanceByField(byField(fields, provenanceByField));
        }
        if (dataVersionByField != null) {
            b.dataVersionByField(byField(fields, dataVersionByField));
        }
        return b.build();
    }

    /** The sample's id columns as Java values (numbers as Integer/Long, text as String). */
    public Map<String, Object> idsMap() {
        return parseJsonObject(idsJson);
    }

    private static Map<String, String> byField(List<String> fields, String[] values) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            out.put(fields.get(i), values[i]);
        }
        return out;
    }

    static Map<String, Object> parseJsonObject(String json) {
        try {
            return OBJECT.readValue(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return op + " " + feature + " " + idsJson + " prov=" + provenance + " fv=" + featureVersion;
    }

    /**
     * The job's type for stamped rows: its own {@link Serializer} rather than Flink's reflective
     * POJO serializer, which a profile of the store sink's thread found spending a tenth of its
     * time on (field accessors, a null mask and boxing per field).
     */
    public static final TypeInformation<StampedRow> TYPE = new SerializerTypeInfo<>(StampedRow.class, Serializer.INSTANCE);

    /**
     * Field by field, nullable strings with a presence byte ({@link BinaryCodec}). Stamped rows
     * travel between operators only (no state holds them), so the layout may change freely.
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
            r.op = from.op;
            r.columnsJson = from.columnsJson;
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
            BinaryCodec.writeNullableString(out, r.idsJson);
            out.writeByte(r.op.ordinal());
            BinaryCodec.writeNullableString(out, r.columnsJson);
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
            r.idsJson = BinaryCodec.readNullableString(in);
            r.op = OPS[in.readUnsignedByte()];
            r.columnsJson = BinaryCodec.readNullableString(in);
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
