package io.metaxy.flink.stream.operator;

import io.metaxy.flink.stream.CompactSerializer;

import io.metaxy.flink.stream.BinaryCodec;
import io.metaxy.flink.versioning.IdValueOrder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The members of one N:1 group through one dep: the parent rows whose {@code on} columns name
 * the group, kept sorted by the members' id values ({@link IdValueOrder}), each with its
 * {@link VersionedRows}. The fold hashes the members' versions in this order, so an event reads
 * and writes this one value instead of scanning a map of members.
 *
 * <pre>{@code
 * MemberGroup g = MemberGroup.EMPTY.with(new MemberGroup.Member("{\"audio_id\":\"a1\"}", new Object[] {"a1"}, rows));
 * }</pre>
 */
public final class MemberGroup {
    public static final MemberGroup EMPTY = new MemberGroup(List.of());

    /** One member: its ids (canonical JSON), their values in the parent's id column order, its rows. */
    public record Member(String idsJson, Object[] order, SampleState.Parent[] rows) {}

    private final List<Member> members;

    private MemberGroup(List<Member> members) {
        this.members = members;
    }

    public List<Member> members() {
        return Collections.unmodifiableList(members);
    }

    public boolean isEmpty() {
        return members.isEmpty();
    }

    public int size() {
        return members.size();
    }

    /** The rows of the member with these ids, or null. */
    public SampleState.Parent[] rows(Object[] order) {
        int i = find(order);
        return i >= 0 ? members.get(i).rows : null;
    }

    /** This group with the member's rows replaced ({@code rows == null}: the member left). */
    public MemberGroup with(String idsJson, Object[] order, SampleState.Parent[] rows) {
        List<Member> next = new ArrayList<>(members);
        int i = find(order);
        if (i >= 0) {
            if (rows == null) {
                next.remove(i);
            } else {
                next.set(i, new Member(idsJson, order, rows));
            }
        } else if (rows != null) {
            next.add(-i - 1, new Member(idsJson, order, rows));
        }
        return new MemberGroup(next);
    }

    /** Binary search by id values: index, or (-(insertion point) - 1). */
    private int find(Object[] order) {
        int lo = 0;
        int hi = members.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = compare(members.get(mid).order, order);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    static int compare(Object[] a, Object[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int c = IdValueOrder.INSTANCE.compare(a[i], b[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.length, b.length);
    }

    /**
     * Layout: count:varint { ids:str  n:varint { tag:u8 (0 long, 1 text) value }×n  rows }×count,
     * rows as in {@link SampleStateSerializer}.
     */
    public static final class Serializer extends CompactSerializer<MemberGroup> {
        private static final long serialVersionUID = 1L;
        public static final Serializer INSTANCE = new Serializer();

        @Override
        public boolean isImmutableType() {
            return true;
        }

        @Override
        public MemberGroup createInstance() {
            return EMPTY;
        }

        @Override
        public MemberGroup copy(MemberGroup from) {
            return from;
        }



        @Override
        public void serialize(MemberGroup g, DataOutputView out) throws IOException {
            BinaryCodec.writeVarInt(out, g.members.size());
            for (Member m : g.members) {
                BinaryCodec.writeString(out, m.idsJson);
                BinaryCodec.writeVarInt(out, m.order.length);
                for (Object v : m.order) {
                    if (v instanceof Long l) {
                        out.writeByte(0);
                        out.writeLong(l);
                    } else {
                        out.writeByte(1);
                        BinaryCodec.writeString(out, v.toString());
                    }
                }
                SampleStateSerializer.writeRows(m.rows, out);
            }
        }

        @Override
        public MemberGroup deserialize(DataInputView in) throws IOException {
            int n = BinaryCodec.readVarInt(in);
            List<Member> members = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String ids = BinaryCodec.readString(in);
                Object[] order = new Object[BinaryCodec.readVarInt(in)];
                for (int j = 0; j < order.length; j++) {
                    order[j] = in.readUnsignedByte() == 0 ? (Object) in.readLong() : BinaryCodec.readString(in);
                }
                members.add(new Member(ids, order, SampleStateSerializer.readRows(in)));
            }
            return new MemberGroup(members);
        }



        @Override
        public TypeSerializerSnapshot<MemberGroup> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Restores the serializer from checkpoints. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<MemberGroup> {
            public Snapshot() {
                super(() -> INSTANCE);
            }
        }
    }
}
