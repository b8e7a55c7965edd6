package io.metaxy.flink.stream.operator;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * One N:1 group member's row (feature version, data versions), in the same compact encoding as a
 * parent slot of {@link SampleStateSerializer}: 1+9+1+9×fields+1 bytes for 8-character versions.
 */
public final class ParentSerializer extends TypeSerializerSingleton<SampleState.Parent> {
    private static final long serialVersionUID = 1L;
    public static final ParentSerializer INSTANCE = new ParentSerializer();

    @Override
    public boolean isImmutableType() {
        return true;
    }

    @Override
    public SampleState.Parent createInstance() {
        return new SampleState.Parent("", new String[0], null);
    }

    @Override
    public SampleState.Parent copy(SampleState.Parent from) {
        return from;
    }

    @Override
    public SampleState.Parent copy(SampleState.Parent from, SampleState.Parent reuse) {
        return from;
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(SampleState.Parent record, DataOutputView target) throws IOException {
        SampleStateSerializer.writeParent(record, target);
    }

    @Override
    public SampleState.Parent deserialize(DataInputView source) throws IOException {
        return SampleStateSerializer.readParent(source);
    }

    @Override
    public SampleState.Parent deserialize(SampleState.Parent reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public TypeSerializerSnapshot<SampleState.Parent> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Restores the serializer from checkpoints. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<SampleState.Parent> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
