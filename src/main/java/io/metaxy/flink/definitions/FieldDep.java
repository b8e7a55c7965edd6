package io.metaxy.flink.definitions;

import java.util.List;
import java.util.Objects;

/**
 * An explicit dependency of a field on fields of one upstream feature.
 *
 * <pre>{@code
 * FieldDep.of("example/video", "audio");   // one upstream field
 * FieldDep.all("example/video");           // every field of the upstream feature
 * }</pre>
 *
 * @param fields the upstream fields; null means all fields of {@code feature}
 */
public record FieldDep(FeatureKey feature, List<FieldKey> fields) {
    public FieldDep {
        Objects.requireNonNull(feature, "feature");
        fields = fields == null ? null : List.copyOf(fields);
    }

    public static FieldDep of(String feature, String... fields) {
        return new FieldDep(FeatureKey.of(feature), java.util.Arrays.stream(fields).map(FieldKey::of).toList());
    }

    public static FieldDep all(String feature) {
        return new FieldDep(FeatureKey.of(feature), null);
    }

    public boolean allFields() {
        return fields == null;
    }

    @Override
    public String toString() {
        return feature + "." + (allFields() ? "*" : fields.toString());
    }
}
