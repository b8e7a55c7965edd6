package io.metaxy.flink.stream;

import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The key of the job's keyed state: a feature and one sample's ids (canonical JSON, see
 * {@link RowParser#canonical}). The increment operator keys by the feature whose increments it
 * computes and the sample at that feature's grain (for a 1:N feature: its parent); the group
 * assigner keys by the written row itself (its feature and its own ids).
 *
 * <pre>{@code
 * SampleKey key = new SampleKey("example/crop", "{\"sample_uid\":1}");
 * }</pre>
 */
public record SampleKey(String feature, String ids) {
    public SampleKey {
        if (feature == null || ids == null) {
            throw new IllegalArgumentException("a sample key needs a feature and ids, got " + feature + " " + ids);
        }
    }

    @Override
    public String toString() {
        return feature + " " + ids;
    }

    /** Flink's type information for keyBy and state: {@link Serializer}, never Kryo. */
    public static final TypeInformation<SampleKey> TYPE = new SerializerTypeInfo<>(SampleKey.class, Serializer.INSTANCE);

    /** Two length-prefixed UTF-8 strings: equal keys, equal bytes (RocksDB compares key bytes). */
    public static final class Serializer extends CompactSerializer<SampleKey> {
        private static final long serialVersionUID = 1L;
        public static final Serializer INSTANCE = new Serializer();

        @Override
        public boolean isImmutableType() {
            return true;
        }

        @Override
        public SampleKey createInstance() {
            return null;
        }

        @Override
        public SampleKey copy(SampleKey from) {
            return from;
        }



        @Override
        public void serialize(SampleKey key, DataOutputView out) throws IOException {
            BinaryCodec.writeString(out, key.feature);
            BinaryCodec.writeString(out, key.ids);
        }

        @Override
        public SampleKey deserialize(DataInputView in) throws IOException {
            return new SampleKey(BinaryCodec.readString(in), BinaryCodec.readString(in));
        }



        @Override
        public TypeSerializerSnapshot<SampleKey> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Restores the serializer from checkpoints. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<SampleKey> {
            public Snapshot() {
                super(() -> INSTANCE);
            }
        }
    }

}
