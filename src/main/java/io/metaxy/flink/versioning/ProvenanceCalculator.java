package io.metaxy.flink.versioning;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldKey;
import io.metaxy.flink.definitions.FieldRef;
import io.metaxy.flink.definitions.FieldSpec;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Computes the sample-level versions of one feature (design §3):
 *
 * <pre>
 * provenance_by_field[f] = H(f | code_version(f) | p1 | dv(p1) | p2 | dv(p2) …)   parents sorted by "feature.field"
 * provenance            = H(provenance_by_field[f1] | provenance_by_field[f2] …)  fields sorted by struct key
 * </pre>
 *
 * As in Metaxy's versioning engine (versioning/engine.py): the hash input names a field by its
 * key ({@code frames/rgb}) and a parent field by {@code "<feature>.<field>"}, while the by-field
 * maps name a field by its {@link FieldKey#structKey() struct key} ({@code frames_rgb}) and the
 * sample provenance joins the fields in struct-key order. Parent data versions are looked up by
 * the parent field's struct key.
 *
 * The fixed parts of every field's input are encoded once at construction; a call only copies
 * bytes and hashes, without sorting or parsing. Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * ProvenanceCalculator calc = ProvenanceCalculator.of(graph, FeatureKey.of("examples/child"), SampleHasher.DEFAULT);
 * Map<String, String> byField = calc.provenanceByField(
 *         Map.of(FeatureKey.of("examples/parent"), Map.of("embeddings", "v1")));   // {predictions=24503967}
 * String provenance = calc.provenance(byField);
 * }</pre>
 */
public final class ProvenanceCalculator implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ThreadLocal<HashInput> INPUT = ThreadLocal.withInitial(HashInput::new);

    private final FeatureKey feature;
    private final SampleHasher hasher;
    private final List<FieldKey> fields;
    /** Struct keys of {@link #fields} and of each parent slot's field, computed once: maps are read and built per sample. */
    private final List<String> fieldNames;
    private final String[] slotFieldNames;
    private final List<FieldRef> parentSlots;
    private final List<FeatureKey> optionalParents;
    private final byte[][] fieldPrefixes;
    private final byte[][] slotLabels;
    private final int[][] fieldSlots;

    private ProvenanceCalculator(FeatureGraph graph, FeatureKey feature, SampleHasher hasher) {
        FeatureSpec spec = graph.spec(feature);
        this.feature = feature;
        this.hasher = hasher;
        this.fields = spec.fields().stream().map(FieldSpec::key).sorted(FieldKey.STRUCT_ORDER).toList();
        TreeSet<FieldRef> slots = new TreeSet<>(FieldRef.ORDER);
        for (FieldKey field : fields) {
            slots.addAll(graph.parentFields(feature, field));
        }
        this.parentSlots = List.copyOf(slots);
        this.optionalParents = spec.deps().stream().filter(FeatureDep::optional).map(FeatureDep::feature).toList();
        this.fieldPrefixes = new byte[fields.size()][];
        this.fieldSlots = new int[fields.size()][];
        for (int i = 0; i < fields.size(); i++) {
            FieldSpec field = spec.field(fields.get(i)).orElseThrow();
            fieldPrefixes[i] = utf8(field.key() + "|" + field.codeVersion());
            fieldSlots[i] = graph.parentFields(feature, field.key()).stream().mapToInt(parentSlots::indexOf).toArray();
        }
        this.slotLabels = parentSlots.stream().map(ref -> utf8(ref.toString())).toArray(byte[][]::new);
        this.fieldNames = fields.stream().map(FieldKey::structKey).toList();
        this.slotFieldNames = parentSlots.stream().map(ref -> ref.field().structKey()).toArray(String[]::new);
    }

    public static ProvenanceCalculator of(FeatureGraph graph, FeatureKey feature, SampleHasher hasher) {
        return new ProvenanceCalculator(graph, feature, hasher);
    }

    public FeatureKey feature() {
        return feature;
    }

    public SampleHasher hasher() {
        return hasher;
    }

    /** The feature's fields sorted by {@link FieldKey#structKey()}: the order of every per-field array here. */
    public List<FieldKey> fields() {
        return fields;
    }

    /** The by-field map names of {@link #fields()} ({@link FieldKey#structKey()}), in that order. */
    public List<String> fieldNames() {
        return fieldNames;
    }

    /** Every parent field any field of this feature reads, sorted: the order of parent arrays. */
    public List<FieldRef> parentSlots() {
        return parentSlots;
    }

    /**
     * The fixed start of field {@code i}'s hash input, {@code "<field>|<code_version>"} (fields
     * ordered like {@link #fields()}); the SQL form of the formula builds on it.
     */
    public String fieldPrefix(int i) {
        return new String(fieldPrefixes[i], StandardCharsets.UTF_8);
    }

    /** The indexes into {@link #parentSlots()} that field {@code i} reads, in hash-input order. */
    public int[] fieldSlots(int i) {
        return fieldSlots[i].clone();
    }

    /** Upstream features declared optional: when absent, their fields contribute "". */
    public List<FeatureKey> optionalParents() {
        return optionalParents;
    }

    /**
     * Per-field provenance from the parents' data versions, indexed like {@link #parentSlots()};
     * a null entry (missing optional parent) contributes the empty string.
     */
    public String[] provenanceByField(String[] parentDataVersions) {
        if (parentDataVersions.length != parentSlots.size()) {
            throw new IllegalArgumentException("expected " + parentSlots.size() + " parent data versions for "
                    + feature + " " + parentSlots + ", got " + parentDataVersions.length);
        }
        HashInput input = INPUT.get();
        String[] out = new String[fields.size()];
        for (int i = 0; i < out.length; i++) {
            input.reset().append(fieldPrefixes[i]);
            for (int slot : fieldSlots[i]) {
                String version = parentDataVersions[slot];
                input.separator().append(slotLabels[slot]).separator().append(version == null ? "" : version);
            }
            out[i] = input.hash(hasher);
        }
        return out;
    }

    /**
     * Per-field provenance from parent data versions given as upstream feature → field struct key
     * ({@link FieldKey#structKey()}) → data version. A missing optional parent contributes ""; a missing required one is an error.
     */
    public Map<String, String> provenanceByField(Map<FeatureKey, ? extends Map<String, String>> upstream) {
        String[] versions = new String[parentSlots.size()];
        for (int i = 0; i < versions.length; i++) {
            FieldRef slot = parentSlots.get(i);
            Map<String, String> parent = upstream.get(slot.feature());
            if (parent == null) {
                if (optionalParents.contains(slot.feature())) {
                    continue;
                }
                throw new IllegalArgumentException("feature '" + feature + "': missing upstream '" + slot.feature() + "'");
            }
            String version = parent.get(slotFieldNames[i]);
            if (version == null) {
                throw new IllegalArgumentException("feature '" + feature + "': upstream '" + slot.feature()
                        + "' has no data version for field '" + slotFieldNames[i] + "'");
            }
            versions[i] = version;
        }
        return byFieldMap(provenanceByField(versions));
    }

    /** Sample provenance from per-field values ordered like {@link #fields()}. */
    public String provenance(String[] byField) {
        return combine(hasher, Arrays.asList(byField));
    }

    /** Sample provenance from a struct key → value map (also for root features and data versions). */
    public String provenance(Map<String, String> byField) {
        List<String> ordered = new ArrayList<>(fields.size());
        for (String name : fieldNames) {
            String value = byField.get(name);
            if (value == null) {
                throw new IllegalArgumentException("feature '" + feature + "': no value for field '" + name + "' in " + byField);
            }
            ordered.add(value);
        }
        return combine(hasher, ordered);
    }

    /** Wraps per-field values (ordered like {@link #fields()}) as a struct key → value map in that order. */
    public Map<String, String> byFieldMap(String[] byField) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < byField.length; i++) {
            out.put(fieldNames.get(i), byField[i]);
        }
        return out;
    }

    /**
     * The group data version of an N:1 aggregation for one parent field: the members' data versions
     * of that field, already ordered by the members' id columns, joined with "|" and hashed.
     */
    public static String aggregate(SampleHasher hasher, Collection<String> orderedMemberVersions) {
        return combine(hasher, orderedMemberVersions);
    }

    /** Orders id values for aggregation: numbers numerically, other values by their text ({@link IdValueOrder}). */
    public static final Comparator<Object> ID_VALUE_ORDER = IdValueOrder.INSTANCE;

    private static String combine(SampleHasher hasher, Collection<String> values) {
        HashInput input = INPUT.get().reset();
        boolean first = true;
        for (String value : values) {
            if (!first) {
                input.separator();
            }
            input.append(value);
            first = false;
        }
        return input.hash(hasher);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
