package io.metaxy.flink.definitions;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A feature's dependency on one upstream feature.
 *
 * <pre>{@code
 * FeatureDep dep = FeatureDep.on("example/video")
 *         .fieldsMapping(FieldsMapping.defaults())
 *         .optional(true)
 *         .select(List.of("path"))
 *         .build();
 * }</pre>
 *
 * @param lineage 1:1, 1:N or N:1 ({@link Lineage}); an N:1 without {@code on} is resolved to the
 *        child's id columns by {@link FeatureGraph}
 * @param select upstream user columns carried to the child, named after {@code rename} (null = all;
 *        the join columns are carried either way)
 * @param rename upstream column → name seen by the child (empty = none); applied before
 *        {@code select}, as in Metaxy
 * @param filters Metaxy's filter strings ({@code sql_filters}): SQL-like boolean expressions over an
 *     upstream row after {@link #rename}, all of which the row must satisfy (empty = none); kept as
 *     written for the spec's round trip, parsed (and checked, a {@link DefinitionException} when one
 *     does not parse) by {@link #filterExpressions()}. See {@link FilterParser} for the syntax.
 */
public record FeatureDep(
        FeatureKey feature,
        FieldsMapping fieldsMapping,
        Lineage lineage,
        boolean optional,
        List<String> select,
        Map<String, String> rename,
        List<String> filters) {

    public FeatureDep {
        Objects.requireNonNull(feature, "feature");
        fieldsMapping = fieldsMapping == null ? FieldsMapping.defaults() : fieldsMapping;
        lineage = lineage == null ? Lineage.identity() : lineage;
        select = select == null ? null : List.copyOf(select);
        rename = rename == null ? Map.of() : Map.copyOf(rename);
        filters = filters == null ? List.of() : List.copyOf(filters);
        FilterParser.parseAll(filters, "dep on '" + feature + "'");
    }

    /** The parsed {@link #filters}, in order (parsed on each call: keep the result). */
    public List<FilterExpression> filterExpressions() {
        return FilterParser.parseAll(filters, "dep on '" + feature + "'");
    }

    /**
     * The conjunction of the parsed {@link #filters} that an upstream row, under its post-rename
     * column names, must satisfy; {@link FilterExpression#ALWAYS} when there are none.
     *
     * <pre>{@code
     * FilterExpression f = dep.filter();                      // once, when planning
     * if (f.matches(renamedUpstreamRow)) { ... }              // per upstream row
     * }</pre>
     */
    public FilterExpression filter() {
        return FilterExpression.allOf(filterExpressions());
    }

    public static Builder on(String feature) {
        return new Builder(FeatureKey.of(feature));
    }

    public static Builder on(FeatureKey feature) {
        return new Builder(feature);
    }

    public Builder toBuilder() {
        return new Builder(feature).fieldsMapping(fieldsMapping).lineage(lineage).optional(optional)
                .select(select).rename(rename).filters(filters);
    }

    /** Builds a {@link FeatureDep}; defaults: default mapping, 1:1, required, all columns. */
    public static final class Builder {
        private final FeatureKey feature;
        private FieldsMapping fieldsMapping = FieldsMapping.defaults();
        private Lineage lineage = Lineage.identity();
        private boolean optional;
        private List<String> select;
        private Map<String, String> rename = Map.of();
        private List<String> filters = List.of();

        private Builder(FeatureKey feature) {
            this.feature = feature;
        }

        public Builder fieldsMapping(FieldsMapping value) {
            this.fieldsMapping = value;
            return this;
        }

        public Builder lineage(Lineage value) {
            this.lineage = value;
            return this;
        }

        public Builder optional(boolean value) {
            this.optional = value;
            return this;
        }

        public Builder select(List<String> value) {
            this.select = value;
            return this;
        }

        public Builder rename(Map<String, String> value) {
            this.rename = value;
            return this;
        }

        public Builder filters(List<String> value) {
            this.filters = value;
            return this;
        }

        public FeatureDep build() {
            return new FeatureDep(feature, fieldsMapping, lineage, optional, select, rename, filters);
        }
    }
}
