package io.metaxy.flink.stream.bootstrap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * One feature whose current rows a {@link StoreSeedSource} reads. It holds no position: a split
 * interrupted by a failure is read again from its start, which is harmless because a seed only
 * fills an empty slot.
 *
 * <pre>{@code
 * FeatureSplit split = new FeatureSplit("example/video");
 * }</pre>
 */
public record FeatureSplit(String feature) implements SourceSplit {
    @Override
    public String splitId() {
        return feature;
    }

    /** The feature key as UTF; version 1. */
    static final class Serializer implements SimpleVersionedSerializer<FeatureSplit> {
        static final Serializer INSTANCE = new Serializer();

        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(FeatureSplit split) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeUTF(split.feature());
            }
            return bytes.toByteArray();
        }

        @Override
        public FeatureSplit deserialize(int version, byte[] serialized) throws IOException {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                return new FeatureSplit(in.readUTF());
            }
        }
    }

    /** The enumerator's checkpoint: the features not yet handed to a reader, as a count and UTFs; version 1. */
    static final class ListSerializer implements SimpleVersionedSerializer<List<FeatureSplit>> {
        static final ListSerializer INSTANCE = new ListSerializer();

        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(List<FeatureSplit> splits) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(splits.size());
                for (FeatureSplit split : splits) {
                    out.writeUTF(split.feature());
                }
            }
            return bytes.toByteArray();
        }

        @Override
        public List<FeatureSplit> deserialize(int version, byte[] serialized) throws IOException {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                int n = in.readInt();
                List<FeatureSplit> splits = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    splits.add(new FeatureSplit(in.readUTF()));
                }
                return splits;
            }
        }
    }
}
