package io.metaxy.flink.definitions;

import java.util.Comparator;

/**
 * A field of a particular feature, written {@code example/video.audio}. Hashes sort parent fields
 * by this written form, so {@link #ORDER} is part of the version formulas.
 */
public record FieldRef(FeatureKey feature, FieldKey field) implements java.io.Serializable {
    public static final Comparator<FieldRef> ORDER = Comparator.comparing(FieldRef::toString);

    public static FieldRef of(String feature, String field) {
        return new FieldRef(FeatureKey.of(feature), FieldKey.of(field));
    }

    @Override
    public String toString() {
        return feature + "." + field;
    }
}
