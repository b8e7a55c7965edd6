package io.metaxy.flink.stream.operator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Compact binary form of {@link SampleState}. Versions are short ASCII hashes, so strings are a
 * one-byte length plus bytes; small counts are single bytes. Layout (format 1):
 *
 * <pre>
 * format:u8  parents:u8  { present:u8 [ fv:str  n:u8 dv:str×n  columns:varint-len+bytes ] }×parents
 * ownPresent:u8 [ fv:str prov:str ]  announcedKind:u8 [ announcedProv:str (new|stale) ]
 * </pre>
 *
 * A 1:1 sample with one two-field parent, no columns, a record and an announcement takes
 * 1+1 + (1+9+1+9+9+1) + (1+9+9) + (1+9) = 61 bytes (30 per parent slot), plus the RocksDB key
 * (key group, feature key and ids JSON).
 */
public final class SampleStateSerializer extends TypeSerializerSingleton<SampleState> {
    private static final long serialVersionUID = 1L;
    public static final SampleStateSerializer INSTANCE = new SampleStateSerializer();
    private static final int FORMAT = 1;

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
        SampleState to = new SampleState(from.parents.length);
        System.arraycopy(from.parents, 0, to.parents, 0, from.parents.length);
        to.ownFeatureVersion = from.ownFeatureVersion;
        to.ownProvenance = from.ownProvenance;
        to.announcedKind = from.announcedKind;
        to.announcedProvenance = from.announcedProvenance;
        return to;
    }

    @Override
    public SampleState copy(SampleState from, SampleState reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(SampleState s, DataOutputView out) throws IOException {
        out.writeByte(FORMAT);
        out.writeByte(s.parents.length);
        for (SampleState.Parent p : s.parents) {
            if (p == null) {
                out.writeByte(0);
                continue;
            }
            out.writeByte(1);
            writeParent(p, out);
        }
        if (s.ownFeatureVersion == null) {
            out.writeByte(0);
        } else {
            out.writeByte(1);
            writeString(out, s.ownFeatureVersion);
            writeString(out, s.ownProvenance);
        }
        out.writeByte(s.announcedKind);
        if (s.announcedKind == SampleState.NEW || s.announcedKind == SampleState.STALE) {
            writeString(out, s.announcedProvenance);
        }
    }

    @Override
    public SampleState deserialize(DataInputView in) throws IOException {
        int format = in.readUnsignedByte();
        if (format != FORMAT) {
            throw new IOException("unknown sample state format " + format);
        }
        SampleState s = new SampleState(in.readUnsignedByte());
        for (int i = 0; i < s.parents.length; i++) {
            if (in.readUnsignedByte() == 0) {
                continue;
            }
            s.parents[i] = readParent(in);
        }
        if (in.readUnsignedByte() == 1) {
            s.ownFeatureVersion = readString(in);
            s.ownProvenance = readString(in);
        }
        s.announcedKind = in.readByte();
        if (s.announcedKind == SampleState.NEW || s.announcedKind == SampleState.STALE) {
            s.announcedProvenance = readString(in);
        }
        return s;
    }

    @Override
    public SampleState deserialize(SampleState reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public TypeSerializerSnapshot<SampleState> snapshotConfiguration() {
        return new Snapshot();
    }

    static void writeParent(SampleState.Parent p, DataOutputView out) throws IOException {
        writeString(out, p.featureVersion());
        out.writeByte(p.dataVersions().length);
        for (String v : p.dataVersions()) {
            writeString(out, v);
        }
        byte[] columns = p.columns();
        writeVarInt(out, columns == null ? 0 : columns.length + 1);
        if (columns != null) {
            out.write(columns);
        }
    }

    static SampleState.Parent readParent(DataInputView in) throws IOException {
        String fv = readString(in);
        String[] dv = new String[in.readUnsignedByte()];
        for (int j = 0; j < dv.length; j++) {
            dv[j] = readString(in);
        }
        int len = readVarInt(in);
        byte[] columns = null;
        if (len > 0) {
            columns = new byte[len - 1];
            in.readFully(columns);
        }
        return new SampleState.Parent(fv, dv, columns);
    }

    private static void writeString(DataOutputView out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        writeVarInt(out, bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputView in) throws IOException {
        byte[] bytes = new byte[readVarInt(in)];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void writeVarInt(DataOutputView out, int value) throws IOException {
        while ((value & ~0x7F) != 0) {
            out.writeByte((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.writeByte(value);
    }

    private static int readVarInt(DataInputView in) throws IOException {
        int value = 0;
        int shift = 0;
        int b;
        do {
            b = in.readUnsignedByte();
            value |= (b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return value;
    }

    /** Restores the serializer from checkpoints; format changes are handled inside the bytes. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<SampleState> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
