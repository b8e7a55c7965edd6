package io.metaxy.flink.stream.operator;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the {@link IncrementOperator} keeps per key (feature, lineage key): the parents' current
 * rows, the feature's own recorded row and the announcement still outstanding. Serialized by
 * {@link SampleStateSerializer}.
 *
 * <p>For 1:1 lineage a key is one sample. For N:1 the key is the group: the members live in
 * {@link IncrementOperator#MEMBERS_STATE} and their folded data versions in the dep's parent
 * slot here. For 1:N the key is the parent: the children live in the same map state and their
 * collapsed provenance in {@link #ownProvenance}. The serializer's format byte marks layout changes.
 */
public final class SampleState {
    public static final byte NONE = 0;
    public static final byte NEW = 1;
    public static final byte STALE = 2;
    public static final byte ORPHANED = 3;

    /** One per dep of the feature, in spec order; null = no live row of that parent. */
    public final Parent[] parents;
    public String ownFeatureVersion;
    public String ownProvenance;
    public byte announcedKind = NONE;
    /** Expected provenance of the outstanding new/stale announcement (null for orphaned). */
    public String announcedProvenance;

    public SampleState(int deps) {
        this.parents = new Parent[deps];
    }

    public boolean isEmpty() {
        if (ownFeatureVersion != null || announcedKind != NONE) {
            return false;
        }
        for (Parent p : parents) {
            if (p != null) {
                return false;
            }
        }
        return true;
    }

    public static String kindName(byte kind) {
        return switch (kind) {
            case NEW -> "new";
            case STALE -> "stale";
            case ORPHANED -> "orphaned";
            default -> "none";
        };
    }

    /** A parent's latest live row: its feature version, data versions and selected columns. */
    public record Parent(String featureVersion, String[] dataVersions, byte[] columns) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Parent p && featureVersion.equals(p.featureVersion)
                    && Arrays.equals(dataVersions, p.dataVersions) && Arrays.equals(columns, p.columns);
        }

        @Override
        public int hashCode() {
            return Objects.hash(featureVersion, Arrays.hashCode(dataVersions), Arrays.hashCode(columns));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SampleState s && Arrays.equals(parents, s.parents)
                && Objects.equals(ownFeatureVersion, s.ownFeatureVersion) && Objects.equals(ownProvenance, s.ownProvenance)
                && announcedKind == s.announcedKind && Objects.equals(announcedProvenance, s.announcedProvenance);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(parents), ownFeatureVersion, ownProvenance, announcedKind, announcedProvenance);
    }
}
