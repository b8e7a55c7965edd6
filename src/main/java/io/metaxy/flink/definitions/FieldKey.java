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

    @Override
    public int compareTo(FieldKey other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return String.join("/", parts);
    }
}
