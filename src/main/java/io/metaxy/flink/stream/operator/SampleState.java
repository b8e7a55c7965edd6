package io.metaxy.flink.stream.operator;

import io.metaxy.flink.versioning.IncrementRules;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the {@link IncrementOperator} keeps per key (feature, lineage key): the parents' rows, the
 * feature's own recorded rows and the announcement still outstanding. Every slot keeps its rows
 * as {@link VersionedRows} (the latest row of at most two feature versions), so a redeploy that
 * changes which version is current finds the rows the store would count. Serialized by
 * {@link SampleStateSerializer}.
 *
 * <p>For 1:1 lineage a key is one sample. For N:1 the key is the group: the members live in
 * {@link IncrementOperator#MEMBERS_STATE} and the group's folded row (of the parent's current
 * version) in the dep's parent slot here. For 1:N the key is the parent: the children live in
 * the same map state and their collapsed provenance in {@link #own}.
 */
public final class SampleState {
    public static final byte NONE = 0;
    public static final byte NEW = 1;
    public static final byte STALE = 2;
    public static final byte ORPHANED = 3;

    /** One per dep of the feature, in spec order; null = no live row of that parent. */
    public final Parent[][] parents;
    /** The feature's own recorded rows: {@link Parent#dataVersions()} holds the one provenance. */
    public Parent[] own;
    public byte announcedKind = NONE;
    /** Expected provenance of the outstanding new/stale announcement (null for orphaned). */
    public String announcedProvenance;
    /**
     * How many N:1 members (over all deps) or 1:N children this key holds in the operator's
     * other states: a key with any keeps its sample state, so the redeploy sweep, which visits
     * the keys of this state only, finds it.
     */
    public int groupRows;
    /**
     * The redeploy epoch whose definitions this key's layout follows (IncrementOperator's sweep):
     * one byte, since every sweep brings every key to the new epoch before the next may start.
     */
    public byte epoch;

    public SampleState(int deps) {
        this.parents = new Parent[deps][];
    }

    /**
     * What the feature has recorded under {@code featureVersion}: its row's provenance, or for a
     * 1:N feature its children collapsed (an own row holds [min, max]).
     */
    public IncrementRules.Recorded recorded(String featureVersion) {
        Parent row = VersionedRows.current(own, featureVersion);
        if (row == null) {
            return IncrementRules.Recorded.NONE;
        }
        String[] p = row.dataVersions();
        return new IncrementRules.Recorded(p[0], p[p.length - 1], false);
    }

    public static Parent ownRow(String featureVersion, String provenance) {
        return new Parent(featureVersion, new String[] {provenance}, null);
    }

    /** A 1:N feature's children of one version, collapsed. */
    public static Parent collapsedRow(String featureVersion, IncrementRules.Recorded children) {
        return new Parent(featureVersion, new String[] {children.min(), children.max()}, null);
    }

    public boolean isEmpty() {
        if (own != null || announcedKind != NONE || groupRows > 0) {
            return false;
        }
        for (Parent[] p : parents) {
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

    /** A row as the state keeps it: its feature version, data versions and selected columns. */
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

        @Override
        public String toString() {
            return featureVersion + Arrays.toString(dataVersions);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SampleState s && Arrays.deepEquals(parents, s.parents) && Arrays.equals(own, s.own)
                && announcedKind == s.announcedKind && Objects.equals(announcedProvenance, s.announcedProvenance)
                && groupRows == s.groupRows && epoch == s.epoch;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.deepHashCode(parents), Arrays.hashCode(own), announcedKind, announcedProvenance);
    }

    @Override
    public String toString() {
        return "SampleState{parents=" + Arrays.deepToString(parents) + ", own=" + Arrays.toString(own) + ", announced="
                + kindName(announcedKind) + " " + announcedProvenance + "}";
    }
}
