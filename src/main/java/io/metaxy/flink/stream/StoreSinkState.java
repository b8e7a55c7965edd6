package io.metaxy.flink.stream;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The store sink writer's checkpointed state: the rows since its last commit, when a checkpoint
 * barrier found DuckDB checkpointing and the commit could not run (see {@link StoreSinkWriter});
 * empty otherwise.
 *
 * <pre>{@code
 * byte[] bytes = StoreSinkState.SERIALIZER.serialize(new StoreSinkState(rows));
 * StoreSinkState back = StoreSinkState.SERIALIZER.deserialize(StoreSinkState.SERIALIZER.getVersion(), bytes);
 * }</pre>
 */
public record StoreSinkState(List<StampedRow> rows) {
    public static final SimpleVersionedSerializer<StoreSinkState> SERIALIZER = new Serializer();

    /** Version 1: a row count, then each row as {@link StampedRow.Serializer} writes it between operators. */
    static final class Serializer implements SimpleVersionedSerializer<StoreSinkState> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(StoreSinkState state) throws IOException {
            DataOutputSerializer out = new DataOutputSerializer(64 + state.rows().size() * 160);
            out.writeInt(state.rows().size());
            for (StampedRow row : state.rows()) {
                StampedRow.Serializer.INSTANCE.serialize(row, out);
            }
            return out.getCopyOfBuffer();
        }

        @Override
        public StoreSinkState deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("store sink state version " + version + " is not known (this build reads 1)");
            }
            DataInputDeserializer in = new DataInputDeserializer(serialized);
            int n = in.readInt();
            List<StampedRow> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                rows.add(StampedRow.Serializer.INSTANCE.deserialize(in));
            }
            return new StoreSinkState(rows);
        }
    }
}
