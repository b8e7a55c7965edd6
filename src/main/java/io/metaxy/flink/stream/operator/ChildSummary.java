package io.metaxy.flink.stream.operator;

import io.metaxy.flink.stream.CompactSerializer;

import io.metaxy.flink.stream.BinaryCodec;
import io.metaxy.flink.versioning.IncrementRules;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A 1:N parent's children, counted: per feature version, how many children carry each
 * provenance. The collapse ({@link IncrementRules#collapse}) needs only the least and the
 * greatest provenance, so a child's write adjusts two counts instead of rescanning the children.
 * Usually one provenance per version: the worker writes every child of a parent with the
 * increment's provenance.
 */
public final class ChildSummary {
    /** version → provenance → children carrying it (counts are positive). */
    final TreeMap<String, TreeMap<String, Integer>> counts = new TreeMap<>();

    /** Adds {@code delta} children of {@code version} with {@code provenance}. */
    public void add(String version, String provenance, int delta) {
        TreeMap<String, Integer> byProvenance = counts.computeIfAbsent(version, v -> new TreeMap<>());
        int n = byProvenance.getOrDefault(provenance, 0) + delta;
        if (n < 0) {
            throw new IllegalStateException("child count of " + version + "/" + provenance + " below zero");
        }
        if (n == 0) {
            byProvenance.remove(provenance);
            if (byProvenance.isEmpty()) {
                counts.remove(version);
            }
        } else {
            byProvenance.put(provenance, n);
        }
    }

    /** The children of {@code version} collapsed to one recorded row. */
    public IncrementRules.Recorded recorded(String version) {
        TreeMap<String, Integer> byProvenance = counts.get(version);
        return byProvenance == null ? IncrementRules.Recorded.NONE
                : new IncrementRules.Recorded(byProvenance.firstKey(), byProvenance.lastKey(), false);
    }

    public boolean isEmpty() {
        return counts.isEmpty();
    }

    /** Layout: versions:varint { fv:str  n:varint { prov:str count:varint }×n }. */
    public static final class Serializer extends CompactSerializer<ChildSummary> {
        private static final long serialVersionUID = 1L;
        public static final Serializer INSTANCE = new Serializer();

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public ChildSummary createInstance() {
            return new ChildSummary();
        }

        @Override
        public ChildSummary copy(ChildSummary from) {
            ChildSummary to = new ChildSummary();
            from.counts.forEach((v, m) -> to.counts.put(v, new TreeMap<>(m)));
            return to;
        }



        @Override
        public void serialize(ChildSummary s, DataOutputView out) throws IOException {
            BinaryCodec.writeVarInt(out, s.counts.size());
            for (Map.Entry<String, TreeMap<String, Integer>> v : s.counts.entrySet()) {
                BinaryCodec.writeString(out, v.getKey());
                BinaryCodec.writeVarInt(out, v.getValue().size());
                for (Map.Entry<String, Integer> p : v.getValue().entrySet()) {
                    BinaryCodec.writeString(out, p.getKey());
                    BinaryCodec.writeVarInt(out, p.getValue());
                }
            }
        }

        @Override
        public ChildSummary deserialize(DataInputView in) throws IOException {
            ChildSummary s = new ChildSummary();
            int versions = BinaryCodec.readVarInt(in);
            for (int i = 0; i < versions; i++) {
                String version = BinaryCodec.readString(in);
                TreeMap<String, Integer> byProvenance = new TreeMap<>();
                int n = BinaryCodec.readVarInt(in);
                for (int j = 0; j < n; j++) {
                    byProvenance.put(BinaryCodec.readString(in), BinaryCodec.readVarInt(in));
                }
                s.counts.put(version, byProvenance);
            }
            return s;
        }



        @Override
        public TypeSerializerSnapshot<ChildSummary> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Restores the serializer from checkpoints. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<ChildSummary> {
            public Snapshot() {
                super(() -> INSTANCE);
            }
        }
    }
}
