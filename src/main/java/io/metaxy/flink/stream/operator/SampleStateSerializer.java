package io.metaxy.flink.stream.operator;

import io.metaxy.flink.stream.BinaryCodec;
import io.metaxy.flink.stream.CompactSerializer;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Compact binary form of {@link SampleState}. Versions are short ASCII hashes, so strings are a
 * varint length plus bytes, and counts are varints (one byte below 128). Layout (format 2):
 *
 * <pre>
 * format:u8  deps:varint  rows×deps  ownRows  announcedKind:u8 [ announcedProv:str (new|stale) ]
 *           groupRows:varint  epoch:u8
 * rows    := count:u8 { fv:str  n:varint dv:str×n  columns:varint(len+1, 0 = none) bytes }×count
 * ownRows := count:u8 { fv:str  n:varint prov:str×n }×count   (n = 2 for a 1:N collapse: min, max)
 * </pre>
 *
 * A 1:1 sample with one two-field parent, no columns, a record and an announcement takes
 * 1+1 + (1+9+1+9+9+1) + (1+9+1+9) + (1+9) + 1 + 1 = 64 bytes (30 per parent slot), plus the RocksDB key
 * (key group, feature key and ids JSON). A second feature version in a slot (only around
 * redeploys) adds its row.
 */
public final class SampleStateSerializer extends CompactSerializer<SampleState> {
    private static final long serialVersionUID = 1L;
    public static final SampleStateSerializer INSTANCE = new SampleStateSerializer();
    private static final int FORMAT = 3;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public SampleState createInstance() {
        return new SampleState(0);
    }

    @Override
    public SampleState copy(SampleState from) {
        // Rows are immutable and slots are replaced, never changed in place: a shallow copy is enough.
        SampleState to = new SampleState(from.parents.length);
        System.arraycopy(from.parents, 0, to.parents, 0, from.parents.length);
        to.own = from.own;
        to.announcedKind = from.announcedKind;
        to.announcedProvenance = from.announcedProvenance;
        to.groupRows = from.groupRows;
        to.epoch = from.epoch;
        return to;
    }



    @Override
    public void serialize(SampleState s, DataOutputView out) throws IOException {
        out.writeByte(FORMAT);
        BinaryCodec.writeVarInt(out, s.parents.length);
        for (SampleState.Parent[] rows : s.parents) {
            writeRows(rows, out);
        }
        writeOwnRows(s.own, out);
        out.writeByte(s.announcedKind);
        if (s.announcedKind == SampleState.NEW || s.announcedKind == SampleState.STALE) {
            BinaryCodec.writeString(out, s.announcedProvenance);
        }
        BinaryCodec.writeVarInt(out, s.groupRows);
        out.writeByte(s.epoch);
    }

    @Override
    public SampleState deserialize(DataInputView in) throws IOException {
        int format = in.readUnsignedByte();
        if (format != FORMAT) {
            throw new IOException("unknown sample state format " + format + " (this version reads format " + FORMAT
                    + "; state of an earlier release cannot be restored: start with --fresh)");
        }
        SampleState s = new SampleState(BinaryCodec.readVarInt(in));
        for (int i = 0; i < s.parents.length; i++) {
            s.parents[i] = readRows(in);
        }
        s.own = readOwnRows(in);
        s.announcedKind = in.readByte();
        if (s.announcedKind == SampleState.NEW || s.announcedKind == SampleState.STALE) {
            s.announcedProvenance = BinaryCodec.readString(in);
        }
        s.groupRows = BinaryCodec.readVarInt(in);
        s.epoch = in.readByte();
        return s;
    }



    @Override
    public TypeSerializerSnapshot<SampleState> snapshotConfiguration() {
        return new Snapshot();
    }

    static void writeRows(SampleState.Parent[] rows, DataOutputView out) throws IOException {
        writeCount(out, rows);
        if (rows != null) {
            for (SampleState.Parent row : rows) {
                writeParent(row, out);
            }
        }
    }

    /** The feature's own rows: no columns, one provenance (or a 1:N collapse's two). */
    private static void writeOwnRows(SampleState.Parent[] rows, DataOutputView out) throws IOException {
        writeCount(out, rows);
        if (rows != null) {
            for (SampleState.Parent row : rows) {
                BinaryCodec.writeString(out, row.featureVersion());
                BinaryCodec.writeVarInt(out, row.dataVersions().length);
                for (String v : row.dataVersions()) {
                    BinaryCodec.writeString(out, v);
                }
            }
        }
    }

    private static SampleState.Parent[] readOwnRows(DataInputView in) throws IOException {
        int count = in.readUnsignedByte();
        if (count == 0) {
            return null;
        }
        SampleState.Parent[] rows = new SampleState.Parent[count];
        for (int i = 0; i < count; i++) {
            String fv = BinaryCodec.readString(in);
            String[] dv = new String[BinaryCodec.readVarInt(in)];
            for (int j = 0; j < dv.length; j++) {
                dv[j] = BinaryCodec.readString(in);
            }
            rows[i] = new SampleState.Parent(fv, dv, null);
        }
        return rows;
    }

    /** The rows of a slot; null when it has none. */
    static SampleState.Parent[] readRows(DataInputView in) throws IOException {
        int count = in.readUnsignedByte();
        if (count == 0) {
            return null;
        }
        SampleState.Parent[] rows = new SampleState.Parent[count];
        for (int i = 0; i < count; i++) {
            rows[i] = readParent(in);
        }
        return rows;
    }

    private static void writeCount(DataOutputView out, SampleState.Parent[] rows) throws IOException {
        int count = rows == null ? 0 : rows.length;
        if (count > VersionedRows.MAX_VERSIONS) {
            throw new IOException("a state slot holds " + count + " rows; at most " + VersionedRows.MAX_VERSIONS);
        }
        out.writeByte(count);
    }

    private static void writeParent(SampleState.Parent p, DataOutputView out) throws IOException {
        BinaryCodec.writeString(out, p.featureVersion());
        BinaryCodec.writeVarInt(out, p.dataVersions().length);
        for (String v : p.dataVersions()) {
            BinaryCodec.writeString(out, v);
        }
        byte[] columns = p.columns();
        BinaryCodec.writeVarInt(out, columns == null ? 0 : columns.length + 1);
        if (columns != null) {
            out.write(columns);
        }
    }

    private static SampleState.Parent readParent(DataInputView in) throws IOException {
        String fv = BinaryCodec.readString(in);
        String[] dv = new String[BinaryCodec.readVarInt(in)];
        for (int j = 0; j < dv.length; j++) {
            dv[j] = BinaryCodec.readString(in);
        }
        int len = BinaryCodec.readVarInt(in);
        byte[] columns = null;
        if (len > 0) {
            columns = new byte[len - 1];
            in.readFully(columns);
        }
        return new SampleState.Parent(fv, dv, columns);
    }

    /**
     * Restores the serializer from checkpoints. Layout changes are marked by the format byte of
     * every value; earlier formats (1 unreleased, 2 before the group-aware layout)
     * are refused with a clear error: start such a job with {@code --fresh}.
     */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<SampleState> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
