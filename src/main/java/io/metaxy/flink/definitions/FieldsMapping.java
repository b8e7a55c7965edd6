package io.metaxy.flink.definitions;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How the fields of a feature map onto the fields of one upstream feature, when a field declares
 * no explicit deps of its own.
 *
 * <pre>{@code
 * FieldsMapping.defaults();                                  // same key, else all upstream fields
 * FieldsMapping.specific(Map.of(FieldKey.of("audio"), Set.of(FieldKey.of("wav"))));
 * }</pre>
 */
public sealed interface FieldsMapping {

    /** Upstream fields that {@code field} depends on, given the upstream feature's fields. */
    List<FieldKey> parentFields(FieldKey field, List<FieldKey> upstreamFields);

    static FieldsMapping defaults() {
        return new Default(false, Set.of());
    }

    static FieldsMapping all() {
        return new All();
    }

    static FieldsMapping none() {
        return new None();
    }

    static FieldsMapping specific(Map<FieldKey, Set<FieldKey>> mapping) {
        return new Specific(mapping);
    }

    /**
     * Upstream fields with the same key (or, with {@code matchSuffix}, whose key ends with this
     * field's key); if none match, every upstream field. {@code excludeFields} never match.
     */
    record Default(boolean matchSuffix, Set<FieldKey> excludeFields) implements FieldsMapping {
        public Default {
            excludeFields = Set.copyOf(new TreeSet<>(excludeFields));
        }

        @Override
        public List<FieldKey> parentFields(FieldKey field, List<FieldKey> upstreamFields) {
            List<FieldKey> candidates = upstreamFields.stream()
                    .filter(up -> !excludeFields.contains(up))
                    .toList();
            List<FieldKey> matched = candidates.stream()
                    .filter(up -> up.equals(field) || (matchSuffix && up.endsWith(field)))
                    .toList();
            return matched.isEmpty() ? candidates : matched;
        }

        @Override
        public String toString() {
            return "default" + (matchSuffix ? "(match_suffix)" : "")
                    + (excludeFields.isEmpty() ? "" : " excluding " + new TreeSet<>(excludeFields));
        }
    }

    /** Every upstream field. */
    record All() implements FieldsMapping {
        @Override
        public List<FieldKey> parentFields(FieldKey field, List<FieldKey> upstreamFields) {
            return List.copyOf(upstreamFields);
        }

        @Override
        public String toString() {
            return "all";
        }
    }

    /** No field-level dependency on this upstream feature (it still joins the sample). */
    record None() implements FieldsMapping {
        @Override
        public List<FieldKey> parentFields(FieldKey field, List<FieldKey> upstreamFields) {
            return List.of();
        }

        @Override
        public String toString() {
            return "none";
        }
    }

    /** An explicit field → upstream fields table; fields not in it depend on nothing upstream. */
    record Specific(Map<FieldKey, Set<FieldKey>> mapping) implements FieldsMapping {
        public Specific {
            Map<FieldKey, Set<FieldKey>> copy = new LinkedHashMap<>();
            new TreeMap<>(mapping).forEach((k, v) -> copy.put(k, Set.copyOf(v)));
            mapping = Map.copyOf(copy);
        }

        @Override
        public List<FieldKey> parentFields(FieldKey field, List<FieldKey> upstreamFields) {
            Set<FieldKey> wanted = mapping.getOrDefault(field, Set.of());
            return upstreamFields.stream().filter(wanted::contains).toList();
        }

        @Override
        public String toString() {
            return "specific" + new TreeMap<>(mapping);
        }
    }
}
