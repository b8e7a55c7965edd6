package io.metaxy.flink.definitions;

import java.util.List;
import java.util.Objects;

/**
 * A field of a feature: its key, the version of the code computing it, and optional explicit deps.
 *
 * <pre>{@code
 * FieldSpec frames = FieldSpec.of("frames", "2");
 * FieldSpec faces = FieldSpec.builder("faces").codeVersion("1")
 *         .deps(List.of(FieldDep.of("example/crop", "frames"))).build();
 * }</pre>
 */
public record FieldSpec(FieldKey key, String codeVersion, List<FieldDep> deps) {
    /** Metaxy's code version of a field that never declared one. */
    public static final String INITIAL_CODE_VERSION = "__metaxy_initial__";

    public FieldSpec {
        Objects.requireNonNull(key, "key");
        codeVersion = codeVersion == null ? INITIAL_CODE_VERSION : codeVersion;
        deps = deps == null ? List.of() : List.copyOf(deps);
    }

    public static FieldSpec of(String key) {
        return new FieldSpec(FieldKey.of(key), INITIAL_CODE_VERSION, List.of());
    }

    public static FieldSpec of(String key, String codeVersion) {
        return new FieldSpec(FieldKey.of(key), codeVersion, List.of());
    }

    public static Builder builder(String key) {
        return new Builder(FieldKey.of(key));
    }

    public FieldSpec withCodeVersion(String newCodeVersion) {
        return new FieldSpec(key, newCodeVersion, deps);
    }

    /** Builds a {@link FieldSpec}; defaults: initial code version, no explicit deps. */
    public static final class Builder {
        private final FieldKey key;
        private String codeVersion = INITIAL_CODE_VERSION;
        private List<FieldDep> deps = List.of();

        private Builder(FieldKey key) {
            this.key = key;
        }

        public Builder codeVersion(String value) {
            this.codeVersion = value;
            return this;
        }

        public Builder deps(List<FieldDep> value) {
            this.deps = value;
            return this;
        }

        public FieldSpec build() {
            return new FieldSpec(key, codeVersion, deps);
        }
    }
}
