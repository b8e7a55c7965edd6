package io.metaxy.flink.definitions;

import java.util.List;

/**
 * Identifies a feature: slash-separated parts, e.g. {@code example/video}.
 *
 * <pre>{@code
 * FeatureKey key = FeatureKey.of("example/video");
 * key.tableName(); // "example__video"
 * }</pre>
 */
public record FeatureKey(List<String> parts) implements Comparable<FeatureKey>, java.io.Serializable {
    public FeatureKey {
        parts = KeyParts.validate("feature", parts);
    }

    public static FeatureKey of(String key) {
        return new FeatureKey(KeyParts.parse("feature", key));
    }

    /** The store table name: parts joined by {@code __}, {@code -} replaced by {@code _}. */
    public String tableName() {
        return String.join("__", parts).replace('-', '_');
    }

    @Override
    public int compareTo(FeatureKey other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return String.join("/", parts);
    }
}
