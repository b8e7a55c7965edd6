package io.metaxy.flink.stream.operator;

import io.metaxy.flink.stream.CompactSerializer;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The rows of one N:1 group member or 1:N child ({@link VersionedRows}), in the encoding of a
 * parent slot of {@link SampleStateSerializer}: 1 + (1+8 + 1 + 9×fields + 1) bytes for one row
 * of 8-character versions.
 */
public final class VersionedRowsSerializer extends CompactSerializer<SampleState.Parent[]> {
    private static final long serialVersionUID = 1L;
    public static final VersionedRowsSerializer INSTANCE = new VersionedRowsSerializer();
    private static final SampleState.Parent[] EMPTY = new SampleState.Parent[0];

    @Override
    public boolean isImmutableType() {
        // The operator replaces arrays, never changes one in place.
        return true;
    }

    @Override
    public SampleState.Parent[] createInstance() {
        return EMPTY;
    }

    @Override
    public SampleState.Parent[] copy(SampleState.Parent[] from) {
        return from;
    }



    @Override
    public void serialize(SampleState.Parent[] rows, DataOutputView target) throws IOException {
        SampleStateSerializer.writeRows(rows, target);
    }

    @Override
    public SampleState.Parent[] deserialize(DataInputView source) throws IOException {
        SampleState.Parent[] rows = SampleStateSerializer.readRows(source);
        return rows == null ? EMPTY : rows;
    }



    @Override
    public TypeSerializerSnapshot<SampleState.Parent[]> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Restores the serializer from checkpoints. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<SampleState.Parent[]> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
