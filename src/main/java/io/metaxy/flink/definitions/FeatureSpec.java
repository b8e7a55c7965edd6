package io.metaxy.flink.definitions;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A feature: a processing step with id columns, upstream deps and versioned fields.
 *
 * <pre>{@code
 * FeatureSpec crop = FeatureSpec.builder("example/crop")
 *         .idColumns("sample_uid")
 *         .dep(FeatureDep.on("example/video").build())
 *         .field(FieldSpec.of("frames", "1"))
 *         .build();
 * }</pre>
 */
public record FeatureSpec(FeatureKey key, List<String> idColumns, List<FeatureDep> deps, List<FieldSpec> fields,
        String description) {

    public FeatureSpec {
        Objects.requireNonNull(key, "key");
        idColumns = List.copyOf(Objects.requireNonNull(idColumns, "idColumns"));
        deps = deps == null ? List.of() : List.copyOf(deps);
        fields = List.copyOf(Objects.requireNonNull(fields, "fields"));
    }

    public static Builder builder(String key) {
        return new Builder(FeatureKey.of(key));
    }

    public static Builder builder(FeatureKey key) {
        return new Builder(key);
    }

    public Builder toBuilder() {
        Builder b = new Builder(key).idColumns(idColumns).description(description);
        deps.forEach(b::dep);
        fields.forEach(b::field);
        return b;
    }

    /** A root feature has no upstream deps; its provenance is supplied by the writer. */
    public boolean isRoot() {
        return deps.isEmpty();
    }

    public Optional<FieldSpec> field(FieldKey fieldKey) {
        return fields.stream().filter(f -> f.key().equals(fieldKey)).findFirst();
    }

    public Optional<FeatureDep> dep(FeatureKey upstream) {
        return deps.stream().filter(d -> d.feature().equals(upstream)).findFirst();
    }

    public List<FieldKey> fieldKeys() {
        return fields.stream().map(FieldSpec::key).toList();
    }

    /** Builds a {@link FeatureSpec}; defaults: id column {@code sample_uid}, no deps. */
    public static final class Builder {
        private final FeatureKey key;
        private List<String> idColumns = List.of("sample_uid");
        private final List<FeatureDep> deps = new ArrayList<>();
        private final List<FieldSpec> fields = new ArrayList<>();
        private String description;

        private Builder(FeatureKey key) {
            this.key = key;
        }

        public Builder idColumns(String... columns) {
            this.idColumns = List.of(columns);
            return this;
        }

        public Builder idColumns(List<String> columns) {
            this.idColumns = List.copyOf(columns);
            return this;
        }

        public Builder dep(FeatureDep dep) {
            this.deps.add(dep);
            return this;
        }

        public Builder field(FieldSpec field) {
            this.fields.add(field);
            return this;
        }

        public Builder description(String value) {
            this.description = value;
            return this;
        }

        public FeatureSpec build() {
            return new FeatureSpec(key, idColumns, deps, fields, description);
        }
    }
}
