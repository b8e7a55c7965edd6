package io.metaxy.flink.stream;

import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A stamped row delivered to one feature's keyed state: as that feature's own write
 * ({@link #depIndex} = {@link #SELF}) or as the row of its parent through dep {@link #depIndex}.
 * Keyed by {@link #key()}: the target feature and the sample at its grain (the sample's ids for
 * 1:1, the group for N:1, the parent for a 1:N feature's own children).
 *
 * <p>A row that belongs to a group by the value of its {@code on} columns (an N:1 member, a 1:N
 * child) is a {@link #member}: it first passes the group assigner, keyed by the row itself
 * ({@link #memberKey()}), which remembers the row's group per feature version, so that a move or
 * a delete (a tombstone carries only the ids) reaches the group the row leaves.
 */
public class RoutedEvent {
    public static final int SELF = -1;

    /** The feature whose increments this event may change. */
    public String target;
    /** The target sample's ids as canonical JSON; for a member, its group (null: not known from the row). */
    public String idsJson;
    public int depIndex;
    public RowOp op;
    /** The feature the row was written to (the target itself for its own writes). */
    public String source;
    public String featureVersion;
    public String provenance;
    /** Data versions ordered like the source feature's fields. */
    public String[] dataVersionByField;
    /** Selected (renamed) upstream user columns as a JSON object; only for parent rows. */
    public String columnsJson;
    /** For a member (N:1 parent row, 1:N child): the row's own ids; null otherwise. */
    public String memberIdsJson;
    public boolean member;
    public String topic;
    public int partition;
    public long offset;
    /** A bootstrap seed ({@link RawRecord#seed}): fills empty slots only and is not evaluated on its own. */
    public boolean seed;

    public RoutedEvent() {}

    public SampleKey key() {
        return new SampleKey(target, idsJson);
    }

    /** The row itself: what the group assigner keys by. */
    public SampleKey memberKey() {
        return new SampleKey(source, memberIdsJson);
    }

    public RoutedEvent copy() {
        RoutedEvent e = new RoutedEvent();
        e.target = target;
        e.idsJson = idsJson;
        e.depIndex = depIndex;
        e.op = op;
        e.source = source;
        e.featureVersion = featureVersion;
        e.provenance = provenance;
        e.dataVersionByField = dataVersionByField;
        e.columnsJson = columnsJson;
        e.memberIdsJson = memberIdsJson;
        e.member = member;
        e.topic = topic;
        e.partition = partition;
        e.offset = offset;
        e.seed = seed;
        return e;
    }

    @Override
    public String toString() {
        return target + (depIndex == SELF ? " self " : " dep" + depIndex + " ") + op + " " + idsJson
                + (member ? " member " + memberIdsJson : "") + (seed ? " seed" : "");
    }

    public static final TypeInformation<RoutedEvent> TYPE = new SerializerTypeInfo<>(RoutedEvent.class, Serializer.INSTANCE);

    /** Field by field, nullable strings with a presence byte ({@link BinaryCodec}). */
    public static final class Serializer extends CompactSerializer<RoutedEvent> {
        private static final long serialVersionUID = 1L;
        public static final Serializer INSTANCE = new Serializer();
        private static final RowOp[] OPS = RowOp.values();

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public RoutedEvent createInstance() {
            return new RoutedEvent();
        }

        @Override
        public RoutedEvent copy(RoutedEvent from) {
            return from.copy();
        }


        @Override
        public void serialize(RoutedEvent e, DataOutputView out) throws IOException {
            BinaryCodec.writeString(out, e.target);
            BinaryCodec.writeNullableString(out, e.idsJson);
            out.writeInt(e.depIndex);
            out.writeByte(e.op.ordinal());
            BinaryCodec.writeString(out, e.source);
            BinaryCodec.writeNullableString(out, e.featureVersion);
            BinaryCodec.writeNullableString(out, e.provenance);
            BinaryCodec.writeStrings(out, e.dataVersionByField);
            BinaryCodec.writeNullableString(out, e.columnsJson);
            BinaryCodec.writeNullableString(out, e.memberIdsJson);
            out.writeBoolean(e.member);
            BinaryCodec.writeNullableString(out, e.topic);
            out.writeInt(e.partition);
            out.writeLong(e.offset);
            out.writeBoolean(e.seed);
        }

        @Override
        public RoutedEvent deserialize(DataInputView in) throws IOException {
            RoutedEvent e = new RoutedEvent();
            e.target = BinaryCodec.readString(in);
            e.idsJson = BinaryCodec.readNullableString(in);
            e.depIndex = in.readInt();
            e.op = OPS[in.readUnsignedByte()];
            e.source = BinaryCodec.readString(in);
            e.featureVersion = BinaryCodec.readNullableString(in);
            e.provenance = BinaryCodec.readNullableString(in);
            e.dataVersionByField = BinaryCodec.readStrings(in);
            e.columnsJson = BinaryCodec.readNullableString(in);
            e.memberIdsJson = BinaryCodec.readNullableString(in);
            e.member = in.readBoolean();
            e.topic = BinaryCodec.readNullableString(in);
            e.partition = in.readInt();
            e.offset = in.readLong();
            e.seed = in.readBoolean();
            return e;
        }



        @Override
        public TypeSerializerSnapshot<RoutedEvent> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Restores the serializer from checkpoints. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<RoutedEvent> {
            public Snapshot() {
                super(() -> INSTANCE);
            }
        }
    }
}
