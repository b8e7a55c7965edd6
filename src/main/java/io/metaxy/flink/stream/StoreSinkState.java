package io.metaxy.flink.stream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * A chunk of the store sink writer's checkpointed state: rows since its last commit, when a
 * checkpoint barrier found DuckDB checkpointing and the commit could not run (see
 * {@link StoreSinkWriter}). Held serialized (a row count, then each row as
 * {@link StampedRow.Serializer} writes it between operators): Flink copies and writes operator
 * state at every checkpoint, and bytes copy without serializing each row again.
 *
 * <pre>{@code
 * StoreSinkState chunk = StoreSinkState.of(rows);
 * byte[] bytes = StoreSinkState.SERIALIZER.serialize(chunk);
 * List<StampedRow> back = StoreSinkState.SERIALIZER.deserialize(1, bytes).rows();
 * }</pre>
 */
public record StoreSinkState(byte[] bytes) {
    public static final SimpleVersionedSerializer<StoreSinkState> SERIALIZER = new Serializer();

    /** The rows, serialized. */
    public static StoreSinkState of(List<StampedRow> rows) {
        DataOutputSerializer out = new DataOutputSerializer(64 + rows.size() * 160);
        try {
            out.writeInt(rows.size());
            for (StampedRow row : rows) {
                StampedRow.Serializer.INSTANCE.serialize(row, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an in-memory buffer
        }
        return new StoreSinkState(out.getCopyOfBuffer());
    }

    /** The rows, deserialized. */
    public List<StampedRow> rows() {
        try {
            DataInputDeserializer in = new DataInputDeserializer(bytes);
            int n = in.readInt();
            List<StampedRow> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                rows.add(StampedRow.Serializer.INSTANCE.deserialize(in));
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException("store sink state unreadable", e);
        }
    }

    /** Version 1: the chunk's bytes as they are. */
    static final class Serializer implements SimpleVersionedSerializer<StoreSinkState> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(StoreSinkState state) {
            return state.bytes();
        }

        @Override
        public StoreSinkState deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("store sink state version " + version + " is not known (this build reads 1)");
            }
            return new StoreSinkState(serialized);
        }
    }
}
