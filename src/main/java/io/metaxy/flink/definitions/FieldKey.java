package io.metaxy.flink.definitions;

import java.util.List;

/**
 * Identifies a field of a feature: slash-separated parts, e.g. {@code audio} or {@code frames/rgb}.
 *
 * <pre>{@code
 * FieldKey audio = FieldKey.of("audio");
 * }</pre>
 */
public record FieldKey(List<String> parts) implements Comparable<FieldKey>, java.io.Serializable {
    public FieldKey {
        parts = KeyParts.validate("field", parts);
    }

    public static FieldKey of(String key) {
        return new FieldKey(KeyParts.parse("field", key));
    }

    /** True when this key's trailing parts equal all of {@code suffix}'s parts. */
    public boolean endsWith(FieldKey suffix) {
        int offset = parts.size() - suffix.parts.size();
        return offset >= 0 && parts.subList(offset, parts.size()).equals(suffix.parts);
    }

    /**
     * The key's name inside the by-field maps of a row ({@code metaxy_provenance_by_field},
     * {@code metaxy_data_version_by_field}): its parts joined with '_', as Metaxy's
     * {@code FieldKey.to_struct_key()} (models/types.py) renders it — {@code frames/rgb} is
     * {@code frames_rgb}. Sample provenance joins the per-field values in this name's order.
     * Hash inputs keep {@link #toString()} ({@code frames/rgb}).
     */
    public String structKey() {
        return String.join("_", parts);
    }

    /** Orders keys by {@link #structKey()}: the order of the fields in a sample's provenance. */
    public static final java.util.Comparator<FieldKey> STRUCT_ORDER = java.util.Comparator.comparing(FieldKey::structKey);

    @Override
    public int compareTo(FieldKey other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return String.join("/", parts);
    }
}
