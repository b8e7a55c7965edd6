package io.metaxy.flink.versioning;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldRef;
import java.io.Serializable;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The one copy of the increment rules (docs/design.md, "Increments"): from a sample's parents and
 * the feature's recorded rows to its kind, expected and recorded provenance; the N:1 fold of a
 * group's members; the 1:N collapse of a parent's children; and how an outstanding announcement
 * moves when the verdict changes. Plain Java, no Flink: the streaming operator, the store's Java
 * resolve path and the tests' oracle all call it, and the store's SQL resolve path is its twin,
 * held equal by the differential properties.
 *
 * <pre>{@code
 * IncrementRules rules = IncrementRules.of(graph, FeatureKey.of("example/crop"), SampleHasher.DEFAULT);
 * // the parents' data versions, per dep in spec order, each ordered like that parent's fields
 * IncrementRules.Verdict v = rules.classify(new String[][] {{"a1", "f1"}}, IncrementRules.Recorded.NONE);
 * v.kind();      // NEW
 * v.expected();  // the provenance the worker must write back
 * }</pre>
 */
public final class IncrementRules implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What a sample needs: nothing (current), or one of the three kinds of work. */
    public enum Kind {
        NONE("none"), NEW("new"), STALE("stale"), ORPHANED("orphaned");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        /** The name on the increments topic and in the store's increment. */
        public String wire() {
            return wire;
        }

        public static Kind ofCode(byte code) {
            return values()[code];
        }

        public byte code() {
            return (byte) ordinal();
        }
    }

    /**
     * The feature's stored rows of one sample at the increment's grain, collapsed: for a 1:1 or
     * N:1 feature its row's provenance ({@code min == max}); for a 1:N feature the least and the
     * greatest provenance among the parent's children ({@link #collapse}). {@code flaggedStale}:
     * a staleness predicate of the caller matched. {@link #NONE}: nothing stored.
     */
    public record Recorded(String min, String max, boolean flaggedStale) implements Serializable {
        public static final Recorded NONE = new Recorded(null, null, false);

        public Recorded {
            if ((min == null) != (max == null)) {
                throw new IllegalArgumentException("recorded min and max must both be given or both be absent");
            }
        }

        public static Recorded of(String provenance) {
            return provenance == null ? NONE : new Recorded(provenance, provenance, false);
        }

        public boolean present() {
            return min != null;
        }

        public Recorded flagged(boolean stale) {
            return present() ? new Recorded(min, max, stale) : this;
        }

        /**
         * The recorded provenance a stale increment reports: the one that differs from
         * {@code expected} (the least such when the children disagree).
         */
        public String reported(String expected) {
            return Objects.equals(min, expected) ? max : min;
        }
    }

    /**
     * What the rules say about one sample: its kind; the expected provenance by field (ordered
     * like the feature's fields) and provenance, null for orphaned and current samples only when
     * the parents are incomplete; the recorded provenance a stale or orphaned increment reports.
     */
    public record Verdict(Kind kind, String[] expectedByField, String expected, String recorded) {
        public static final Verdict CURRENT_NOTHING = new Verdict(Kind.NONE, null, null, null);
    }

    private final ProvenanceCalculator calculator;
    private final boolean[] optional;
    /** For each parent slot of the calculator: the dep it reads and the field index in that parent. */
    private final int[] slotDep;
    private final int[] slotField;

    private IncrementRules(ProvenanceCalculator calculator, boolean[] optional, int[] slotDep, int[] slotField) {
        this.calculator = calculator;
        this.optional = optional;
        this.slotDep = slotDep;
        this.slotField = slotField;
    }

    /** The rules of {@code feature} in {@code graph}, hashing with {@code hasher}. */
    public static IncrementRules of(FeatureGraph graph, FeatureKey feature, SampleHasher hasher) {
        FeatureSpec spec = graph.spec(feature);
        ProvenanceCalculator calculator = ProvenanceCalculator.of(graph, feature, hasher);
        List<FeatureDep> deps = spec.deps();
        boolean[] optional = new boolean[deps.size()];
        for (int d = 0; d < optional.length; d++) {
            optional[d] = deps.get(d).optional();
        }
        List<FieldRef> slots = calculator.parentSlots();
        int[] slotDep = new int[slots.size()];
        int[] slotField = new int[slots.size()];
        for (int i = 0; i < slots.size(); i++) {
            FieldRef slot = slots.get(i);
            int d = 0;
            while (!deps.get(d).feature().equals(slot.feature())) {
                d++;
            }
            slotDep[i] = d;
            // The parent's field order is its own calculator's: every per-field array follows it.
            slotField[i] = ProvenanceCalculator.of(graph, slot.feature(), hasher).fields().indexOf(slot.field());
        }
        return new IncrementRules(calculator, optional, slotDep, slotField);
    }

    public ProvenanceCalculator calculator() {
        return calculator;
    }

    public SampleHasher hasher() {
        return calculator.hasher();
    }

    /**
     * The verdict for one sample from its parents, per dep in spec order: that parent's data
     * versions ordered like its fields (for an N:1 dep the group's {@link #fold}), null when the
     * parent has no current row. The sample is expected when every required parent is present
     * and at least one parent is.
     */
    public Verdict classify(String[][] parents, Recorded recorded) {
        boolean any = false;
        for (int d = 0; d < parents.length; d++) {
            if (parents[d] != null) {
                any = true;
            } else if (!optional[d]) {
                return classifySlots(null, recorded);
            }
        }
        return classifySlots(any ? slotValues(parents) : null, recorded);
    }

    /**
     * The verdict from the calculator's parent slot values ({@link ProvenanceCalculator#parentSlots()};
     * null entries are absent optional parents), or {@code slots == null} when the sample is not
     * expected (a required parent is missing). The SQL resolve path computes the same in its
     * {@code CASE} (store/sql/ResolveQuery).
     */
    public Verdict classifySlots(String[] slots, Recorded recorded) {
        if (slots == null) {
            return recorded.present()
                    ? new Verdict(Kind.ORPHANED, null, null, recorded.min())
                    : Verdict.CURRENT_NOTHING;
        }
        String[] byField = calculator.provenanceByField(slots);
        String expected = calculator.provenance(byField);
        Kind kind;
        if (!recorded.present()) {
            kind = Kind.NEW;
        } else if (!expected.equals(recorded.min()) || !expected.equals(recorded.max()) || recorded.flaggedStale()) {
            kind = Kind.STALE;
        } else {
            kind = Kind.NONE;
        }
        return new Verdict(kind, byField, expected, kind == Kind.STALE ? recorded.reported(expected) : null);
    }

    /** The calculator's slot values from per-dep data versions (null parent = absent: contributes ""). */
    public String[] slotValues(String[][] parents) {
        String[] out = new String[slotDep.length];
        for (int i = 0; i < out.length; i++) {
            String[] parent = parents[slotDep[i]];
            out[i] = parent == null ? null : parent[slotField[i]];
        }
        return out;
    }

    /**
     * The N:1 fold of one parent field: the group's current members' data versions of that
     * field, already ordered by the members' id columns ({@link IdValueOrder}), joined with "|"
     * and hashed. This value is the group's data version that enters the child's provenance.
     */
    public static String fold(SampleHasher hasher, Collection<String> orderedMemberVersions) {
        return ProvenanceCalculator.aggregate(hasher, orderedMemberVersions);
    }

    /**
     * The N:1 fold of every field: {@code members[m][j]} is member m's data version of parent
     * field j, members ordered by their ids. Null when the group has no member.
     */
    public static String[] fold(SampleHasher hasher, List<String[]> orderedMembers) {
        if (orderedMembers.isEmpty()) {
            return null;
        }
        int fields = orderedMembers.get(0).length;
        String[] out = new String[fields];
        String[] column = new String[orderedMembers.size()];
        for (int j = 0; j < fields; j++) {
            for (int m = 0; m < column.length; m++) {
                column[m] = orderedMembers.get(m)[j];
            }
            out[j] = fold(hasher, List.of(column));
        }
        return out;
    }

    /**
     * The 1:N collapse: a parent's stored children as one recorded row, their least and greatest
     * provenance. The parent is current only when every child carries the expected provenance
     * (min = max = expected); otherwise it is stale and reports the child provenance that differs.
     */
    public static Recorded collapse(Collection<String> childProvenances) {
        String min = null;
        String max = null;
        for (String p : childProvenances) {
            min = min == null || p.compareTo(min) < 0 ? p : min;
            max = max == null || p.compareTo(max) > 0 ? p : max;
        }
        return min == null ? Recorded.NONE : new Recorded(min, max, false);
    }

    /** An outstanding announcement of a sample: its kind ({@link Kind#NONE}: none) and expected provenance. */
    public record Announcement(Kind kind, String provenance) implements Serializable {
        public static final Announcement NONE = new Announcement(Kind.NONE, null);
    }

    /**
     * How an announcement moves: the announcement held afterwards, and what to emit ({@code null}:
     * nothing; a kind's {@link Kind#wire()} name; or {@code "retracted"}).
     */
    public record Step(Announcement next, String emit) {}

    public static final String RETRACTED = "retracted";

    /**
     * The next announcement of a sample given the new verdict. Each distinct (kind, expected
     * provenance) is announced once; {@code reannounce} (the feature's version changed in a
     * redeploy) makes an announcement that still holds again, naming the new version. When the
     * verdict becomes "nothing to do", a write of the feature itself ({@code selfWrite}) that
     * answers the announcement (the expected provenance recorded, or the orphan deleted) clears
     * it silently; any other way emits {@code retracted}.
     */
    public static Step next(Announcement announced, Verdict verdict, boolean selfWrite, Recorded recorded,
            boolean reannounce) {
        if (verdict.kind() == Kind.NONE) {
            if (announced.kind() == Kind.NONE) {
                return new Step(announced, null);
            }
            boolean answered = selfWrite && (announced.kind() == Kind.ORPHANED
                    ? !recorded.present()
                    : announced.provenance().equals(recorded.min()) && announced.provenance().equals(recorded.max()));
            return new Step(Announcement.NONE, answered ? null : RETRACTED);
        }
        String provenance = verdict.kind() == Kind.ORPHANED ? null : verdict.expected();
        Announcement next = new Announcement(verdict.kind(), provenance);
        if (next.equals(announced) && !reannounce) {
            return new Step(announced, null);
        }
        return new Step(next, verdict.kind().wire());
    }
}
