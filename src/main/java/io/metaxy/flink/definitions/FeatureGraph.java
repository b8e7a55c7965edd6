package io.metaxy.flink.definitions;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A validated set of features and their dependencies, with field-level parents resolved.
 *
 * <pre>{@code
 * FeatureGraph graph = FeatureGraph.of(List.of(videoSpec, cropSpec));
 * graph.parentFields(FeatureKey.of("example/crop"), FieldKey.of("frames")); // [example/video.frames]
 * graph.topologicalOrder();                                                 // roots first
 * }</pre>
 *
 * Lineage follows Metaxy ({@link Lineage}): a 1:N dep's {@code on} names id columns of the
 * parent (after rename) that the child carries as ordinary columns; an N:1 dep's {@code on} is a
 * subset of the child's id columns, defaulting to all of them, that the parent rows carry. The
 * graph resolves that default, so every {@link #spec} has concrete {@code on} columns, and
 * {@link #carriedColumns} says which ordinary columns a feature's rows must carry.
 *
 * <p>Construction fails with a {@link DefinitionException} naming the feature, dep, field or
 * column for: duplicate keys, keys sharing a table name ({@code a-b} and {@code a_b}), deps on
 * unknown features, cycles (reported as the path), explicit field deps on missing fields, 1:1
 * deps whose id columns do not line up, a 1:N {@code on} column that is not a parent id column,
 * an N:1 {@code on} column that is not a child id column, non-root fields left without any
 * parent field, two fields of a feature sharing a struct key ({@code a/b} and {@code a_b}), a
 * {@code select} naming a column by its pre-rename name, a rename targeting a system column, an
 * upstream id column or another rename's target, and a selected column arriving from two deps
 * that is neither an id nor a join column (Metaxy's rules; see {@code docs/graph.md}).
 */
public final class FeatureGraph {
    private final Map<FeatureKey, FeatureSpec> features;
    private final List<FeatureKey> topologicalOrder;
    private final Map<FeatureKey, List<FeatureKey>> children;
    private final Map<FieldRef, List<FieldRef>> parentFields;

    private FeatureGraph(Map<FeatureKey, FeatureSpec> given) {
        requireDistinctTableNames(given.keySet());
        Map<FeatureKey, FeatureSpec> features = new LinkedHashMap<>();
        given.forEach((k, v) -> features.put(k, resolveDefaults(v)));
        this.features = Collections.unmodifiableMap(features);
        Map<FeatureKey, List<FeatureKey>> childMap = new TreeMap<>();
        features.keySet().forEach(k -> childMap.put(k, new ArrayList<>()));
        for (FeatureSpec spec : features.values()) {
            validateSpec(spec);
            for (FeatureDep dep : spec.deps()) {
                childMap.get(dep.feature()).add(spec.key());
            }
        }
        childMap.replaceAll((k, v) -> List.copyOf(v));
        this.children = Collections.unmodifiableMap(childMap);
        this.topologicalOrder = sortTopologically();
        Map<FieldRef, List<FieldRef>> parents = new HashMap<>();
        for (FeatureSpec spec : features.values()) {
            for (FieldSpec field : spec.fields()) {
                parents.put(new FieldRef(spec.key(), field.key()), resolveParents(spec, field));
            }
        }
        this.parentFields = Collections.unmodifiableMap(parents);
    }

    /** Builds and validates a graph; features keep their given order where ties allow. */
    public static FeatureGraph of(Collection<FeatureSpec> specs) {
        Map<FeatureKey, FeatureSpec> byKey = new LinkedHashMap<>();
        for (FeatureSpec spec : specs) {
            if (byKey.put(spec.key(), spec) != null) {
                throw new DefinitionException("duplicate feature key '" + spec.key() + "'");
            }
        }
        return new FeatureGraph(byKey);
    }

    /** Two keys that differ only in '-' versus '_' would share one store table and one topic. */
    private static void requireDistinctTableNames(Collection<FeatureKey> keys) {
        Map<String, FeatureKey> byTable = new HashMap<>();
        for (FeatureKey key : new TreeSet<>(keys)) {
            FeatureKey other = byTable.putIfAbsent(key.tableName(), key);
            if (other != null) {
                throw new DefinitionException("features '" + other + "' and '" + key + "' both map to table '"
                        + key.tableName() + "' ('-' becomes '_'); rename one of them");
            }
        }
    }

    public Collection<FeatureSpec> features() {
        return features.values();
    }

    public Set<FeatureKey> keys() {
        return features.keySet();
    }

    public boolean contains(FeatureKey key) {
        return features.containsKey(key);
    }

    public Optional<FeatureSpec> find(FeatureKey key) {
        return Optional.ofNullable(features.get(key));
    }

    /** The spec of {@code key}; throws a {@link DefinitionException} naming it when unknown. */
    public FeatureSpec spec(FeatureKey key) {
        FeatureSpec spec = features.get(key);
        if (spec == null) {
            throw new DefinitionException("unknown feature '" + key + "' (graph has " + new TreeMap<>(features).keySet() + ")");
        }
        return spec;
    }

    public FeatureSpec spec(String key) {
        return spec(FeatureKey.of(key));
    }

    /** Features that depend directly on {@code key}, sorted by key; an unknown key is a {@link DefinitionException}. */
    public List<FeatureKey> children(FeatureKey key) {
        spec(key);
        return children.get(key);
    }

    /** All features, every feature after all of its upstream features. */
    public List<FeatureKey> topologicalOrder() {
        return topologicalOrder;
    }

    /** The resolved parent fields of a field, sorted by {@link FieldRef#ORDER}. */
    public List<FieldRef> parentFields(FeatureKey feature, FieldKey field) {
        List<FieldRef> parents = parentFields.get(new FieldRef(feature, field));
        if (parents == null) {
            spec(feature);
            throw new DefinitionException("unknown field '" + field + "' of feature '" + feature + "'");
        }
        return parents;
    }

    /** A copy of this graph with {@code spec} added or replacing the spec of the same key. */
    public FeatureGraph with(FeatureSpec spec) {
        Map<FeatureKey, FeatureSpec> copy = new LinkedHashMap<>(features);
        copy.put(spec.key(), spec);
        return new FeatureGraph(copy);
    }

    private void validateSpec(FeatureSpec spec) {
        String name = "feature '" + spec.key() + "'";
        if (spec.idColumns().isEmpty()) {
            throw new DefinitionException(name + " must declare at least one id column");
        }
        if (new HashSet<>(spec.idColumns()).size() != spec.idColumns().size()) {
            throw new DefinitionException(name + " has duplicate id columns " + spec.idColumns());
        }
        if (spec.fields().isEmpty()) {
            throw new DefinitionException(name + " must declare at least one field");
        }
        Set<FieldKey> seenFields = new HashSet<>();
        Map<String, FieldKey> byStructKey = new HashMap<>();
        for (FieldSpec field : spec.fields()) {
            if (!seenFields.add(field.key())) {
                throw new DefinitionException(name + " declares field '" + field.key() + "' twice");
            }
            FieldKey other = byStructKey.putIfAbsent(field.key().structKey(), field.key());
            if (other != null) {
                throw new DefinitionException(name + " fields '" + other + "' and '" + field.key()
                        + "' both appear as '" + field.key().structKey() + "' in metaxy_provenance_by_field ('/' becomes '_'); rename one of them");
            }
        }
        Set<FeatureKey> seenDeps = new HashSet<>();
        for (FeatureDep dep : spec.deps()) {
            if (!seenDeps.add(dep.feature())) {
                throw new DefinitionException(name + " depends on '" + dep.feature() + "' twice");
            }
            FeatureSpec upstream = features.get(dep.feature());
            if (upstream == null) {
                throw new DefinitionException(name + " depends on '" + dep.feature() + "', which is not in the graph");
            }
            validateLineage(spec, dep, upstream);
            validateRenameAndSelect(spec, dep, upstream);
        }
        validateNoColumnCollisions(spec);
        for (FieldSpec field : spec.fields()) {
            for (FieldDep fieldDep : field.deps()) {
                String where = name + " field '" + field.key() + "'";
                if (!seenDeps.contains(fieldDep.feature())) {
                    throw new DefinitionException(where + " depends on feature '" + fieldDep.feature()
                            + "', which is not among the feature's deps");
                }
                if (!fieldDep.allFields()) {
                    FeatureSpec upstream = features.get(fieldDep.feature());
                    for (FieldKey upField : fieldDep.fields()) {
                        if (upstream.field(upField).isEmpty()) {
                            throw new DefinitionException(where + " depends on field '" + upField + "' of '"
                                    + fieldDep.feature() + "', which has no such field (it has " + upstream.fieldKeys() + ")");
                        }
                    }
                }
            }
        }
    }

    /**
     * Metaxy's lineage rules (models/lineage.py, models/plan.py {@code get_input_id_columns_for_dep}):
     * 1:1 joins on the id columns, which must line up (after rename); a 1:N dep's {@code on} names
     * id columns of the parent (after rename), which the child carries; an N:1 dep's {@code on} is
     * a subset of the child's id columns (defaulted to all of them before this runs), which the
     * parent rows carry. Metaxy itself checks none of this when a graph is defined; it would fail
     * (or silently mis-join) when resolving, so it is a graph error here.
     */
    private static void validateLineage(FeatureSpec spec, FeatureDep dep, FeatureSpec upstream) {
        String where = "feature '" + spec.key() + "' dep on '" + dep.feature() + "' (" + dep.lineage().type() + ")";
        Set<String> upstreamIds = upstream.idColumns().stream()
                .map(c -> dep.rename().getOrDefault(c, c))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        if (dep.lineage() instanceof Lineage.Identity) {
            if (!upstreamIds.equals(new LinkedHashSet<>(spec.idColumns()))) {
                throw new DefinitionException(where + ": id columns do not line up: the feature has " + spec.idColumns()
                        + " but the upstream has " + upstreamIds
                        + " (a 1:1 dep needs the same id columns; use 1:N or N:1 when the grain differs)");
            }
            return;
        }
        List<String> on = dep.lineage().on();
        if (new HashSet<>(on).size() != on.size()) {
            throw new DefinitionException(where + ": 'on' names a column twice " + on);
        }
        if (dep.lineage() instanceof Lineage.Expansion) {
            for (String column : on) {
                if (!upstreamIds.contains(column)) {
                    throw new DefinitionException(where + ": 'on' column '" + column + "' is not an id column of the upstream '"
                            + dep.feature() + "' " + upstreamIds + renamedAwayHint(dep, column)
                            + "; a 1:N dep's 'on' names the parent's id columns, which the feature's rows carry"
                            + (spec.idColumns().contains(column) ? " (it is an id column of the feature: is this an N:1 dep?)" : ""));
                }
            }
            return;
        }
        for (String column : on) {
            if (!spec.idColumns().contains(column)) {
                throw new DefinitionException(where + ": 'on' column '" + column + "' is not an id column of the feature "
                        + spec.idColumns() + "; an N:1 dep's 'on' is a subset of the feature's own id columns, which the"
                        + " upstream rows carry" + (upstreamIds.contains(column) ? " (it is an id column of the upstream: is this a 1:N dep?)" : ""));
            }
            String hint = renamedAwayHint(dep, column);
            if (!hint.isEmpty() && !dep.rename().containsValue(column)) {
                throw new DefinitionException(where + ": 'on' column '" + column + "'" + hint
                        + ", so the upstream rows have no such column after the rename");
            }
        }
    }

    /** Metaxy's system columns (models/constants.py {@code ALL_SYSTEM_COLUMNS}): no rename may target one. */
    static final Set<String> SYSTEM_COLUMNS = Set.of("metaxy_provenance_by_field", "metaxy_provenance",
            "metaxy_feature_version", "metaxy_project_version", "metaxy_data_version_by_field", "metaxy_data_version",
            "metaxy_created_at", "metaxy_updated_at", "metaxy_deleted_at", "metaxy_materialization_id");

    /**
     * Metaxy's checks of one dep's {@code rename} and {@code select}: {@code select} uses the names
     * after rename, so naming a column the rename replaces is an error (models/feature_spec.py
     * {@code validate_select_uses_post_rename_names}); a rename may not target a system column, an
     * id column of the upstream, or a name another rename of the dep already targets
     * (versioning/validation.py {@code _validate_individual_dep_renames}).
     */
    private static void validateRenameAndSelect(FeatureSpec spec, FeatureDep dep, FeatureSpec upstream) {
        String where = "feature '" + spec.key() + "' dep on '" + dep.feature() + "'";
        Map<String, String> seenTargets = new HashMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(dep.rename()).entrySet()) {
            String from = e.getKey();
            String to = e.getValue();
            if (SYSTEM_COLUMNS.contains(to)) {
                throw new DefinitionException(where + ": rename of '" + from + "' targets the system column '" + to + "'");
            }
            if (upstream.idColumns().contains(to)) {
                throw new DefinitionException(where + ": rename of '" + from + "' targets '" + to
                        + "', an id column of the upstream " + upstream.idColumns());
            }
            String other = seenTargets.putIfAbsent(to, from);
            if (other != null) {
                throw new DefinitionException(where + ": rename maps both '" + other + "' and '" + from + "' to '" + to + "'");
            }
        }
        if (dep.select() != null) {
            Set<String> renamedAway = new TreeSet<>(dep.rename().keySet());
            renamedAway.removeAll(dep.rename().values());
            for (String column : dep.select()) {
                if (renamedAway.contains(column)) {
                    throw new DefinitionException(where + ": select names '" + column + "', which the dep renames to '"
                            + dep.rename().get(column) + "'; select uses the names after rename (select '"
                            + dep.rename().get(column) + "')");
                }
            }
        }
    }

    /**
     * Metaxy's rule (versioning/validation.py {@code _validate_no_column_collisions}): among the
     * deps that {@code select} columns, a column (after rename) that arrives from two of them is an
     * error, unless it is an id column of some dep (after rename) or a column a dep joins on (its
     * {@code on}, or the upstream id columns for 1:1). A dep's selected columns are its
     * {@code select}, its {@code on} columns and, without {@code on}, the upstream id columns, all
     * after rename. A dep without {@code select} carries columns the graph does not know, so it is
     * not checked (as in Metaxy).
     */
    private void validateNoColumnCollisions(FeatureSpec spec) {
        Map<String, List<FeatureKey>> carriedBy = new TreeMap<>();
        Set<String> shareable = new HashSet<>();
        for (FeatureDep dep : spec.deps()) {
            List<String> renamedIds = features.get(dep.feature()).idColumns().stream()
                    .map(c -> dep.rename().getOrDefault(c, c)).toList();
            shareable.addAll(renamedIds);
            shareable.addAll(dep.lineage() instanceof Lineage.Identity ? renamedIds : dep.lineage().on());
            if (dep.select() == null) {
                continue;
            }
            Set<String> columns = new LinkedHashSet<>(dep.select());
            columns.addAll(dep.lineage() instanceof Lineage.Identity ? renamedIds : dep.lineage().on());
            columns.forEach(c -> carriedBy.computeIfAbsent(c, k -> new ArrayList<>()).add(dep.feature()));
        }
        carriedBy.forEach((column, deps) -> {
            if (deps.size() > 1 && !shareable.contains(column)) {
                throw new DefinitionException("feature '" + spec.key() + "': column '" + column + "' arrives from deps "
                        + deps.stream().map(d -> "'" + d + "'").collect(Collectors.joining(" and "))
                        + "; only id columns and join ('on') columns may be shared (rename it in one dep, or drop it from a select)");
            }
        });
    }

    /** " (the dep renames 'x' to 'y')" when {@code column} is an original name the rename replaces. */
    private static String renamedAwayHint(FeatureDep dep, String column) {
        String target = dep.rename().get(column);
        return target == null || target.equals(column) ? "" : " (the dep renames '" + column + "' to '" + target + "')";
    }

    /** The feature with every defaulted N:1 {@code on} replaced by the feature's own id columns. */
    private static FeatureSpec resolveDefaults(FeatureSpec spec) {
        boolean defaulted = spec.deps().stream()
                .anyMatch(d -> d.lineage() instanceof Lineage.Aggregation a && a.defaultOn());
        if (!defaulted) {
            return spec;
        }
        List<FeatureDep> deps = new ArrayList<>();
        for (FeatureDep dep : spec.deps()) {
            deps.add(dep.lineage() instanceof Lineage.Aggregation a && a.defaultOn()
                    ? dep.toBuilder().lineage(Lineage.aggregation(spec.idColumns())).build()
                    : dep);
        }
        return new FeatureSpec(spec.key(), spec.idColumns(), deps, spec.fields(), spec.description());
    }

    /**
     * The ordinary (non-id) columns every row of {@code feature} must carry because of lineage,
     * sorted: the {@code on} columns of its own 1:N deps (named as the feature sees them) that are
     * not among its id columns, and the {@code on} columns of its children's N:1 deps on it (named
     * as this feature writes them, i.e. before the child's rename) that are not among its id
     * columns. A writer that leaves one out cannot be joined by the child.
     *
     * <pre>{@code
     * graph.carriedColumns(FeatureKey.of("video/chunk"));  // [video_id]   (1:N on video_id)
     * graph.carriedColumns(FeatureKey.of("audio"));        // [speaker_id] (speaker/embedding is N:1 on it)
     * }</pre>
     */
    public Set<String> carriedColumns(FeatureKey feature) {
        FeatureSpec spec = spec(feature);
        Set<String> carried = new TreeSet<>();
        for (FeatureDep dep : spec.deps()) {
            if (dep.lineage() instanceof Lineage.Expansion) {
                dep.lineage().on().stream().filter(c -> !spec.idColumns().contains(c)).forEach(carried::add);
            }
        }
        for (FeatureKey child : children(feature)) {
            FeatureDep dep = features.get(child).dep(feature).orElseThrow();
            if (dep.lineage() instanceof Lineage.Aggregation) {
                for (String column : dep.lineage().on()) {
                    String own = upstreamName(dep, column);
                    if (!spec.idColumns().contains(own)) {
                        carried.add(own);
                    }
                }
            }
        }
        return Collections.unmodifiableSet(carried);
    }

    /** The upstream's name of a column the child sees as {@code column} (undoing the dep's rename). */
    public static String upstreamName(FeatureDep dep, String column) {
        for (Map.Entry<String, String> e : dep.rename().entrySet()) {
            if (e.getValue().equals(column)) {
                return e.getKey();
            }
        }
        return column;
    }

    private List<FeatureKey> sortTopologically() {
        // Kahn's algorithm over the sorted key set, so the order is deterministic.
        Map<FeatureKey, Integer> pending = new TreeMap<>();
        for (FeatureSpec spec : features.values()) {
            pending.put(spec.key(), spec.deps().size());
        }
        Deque<FeatureKey> ready = new ArrayDeque<>();
        pending.forEach((k, n) -> {
            if (n == 0) {
                ready.add(k);
            }
        });
        List<FeatureKey> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            FeatureKey next = ready.poll();
            order.add(next);
            for (FeatureKey child : children.get(next)) {
                if (pending.merge(child, -1, Integer::sum) == 0) {
                    ready.add(child);
                }
            }
        }
        if (order.size() != features.size()) {
            throw new DefinitionException("dependency cycle: " + String.join(" -> ", cycle(pending).stream()
                    .map(FeatureKey::toString).toList()) + " (each feature depends on the next)");
        }
        return List.copyOf(order);
    }

    /**
     * One cycle among the features Kahn's algorithm could not order, as a closed path starting at
     * its smallest key. Every such feature still waits for some dep that is itself unordered, so
     * following those deps must revisit a feature; features merely downstream of the cycle drop out.
     */
    private List<FeatureKey> cycle(Map<FeatureKey, Integer> pending) {
        FeatureKey start = pending.entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey)
                .findFirst().orElseThrow();
        List<FeatureKey> path = new ArrayList<>();
        Map<FeatureKey, Integer> seenAt = new HashMap<>();
        FeatureKey current = start;
        while (!seenAt.containsKey(current)) {
            seenAt.put(current, path.size());
            path.add(current);
            current = features.get(current).deps().stream().map(FeatureDep::feature)
                    .filter(dep -> pending.get(dep) > 0).sorted().findFirst().orElseThrow();
        }
        List<FeatureKey> loop = path.subList(seenAt.get(current), path.size());
        int smallest = loop.indexOf(Collections.min(loop));
        List<FeatureKey> rotated = new ArrayList<>(loop.subList(smallest, loop.size()));
        rotated.addAll(loop.subList(0, smallest));
        rotated.add(rotated.get(0));
        return rotated;
    }

    private List<FieldRef> resolveParents(FeatureSpec spec, FieldSpec field) {
        Set<FieldRef> parents = new HashSet<>();
        if (!field.deps().isEmpty()) {
            for (FieldDep dep : field.deps()) {
                List<FieldKey> upstreamFields = dep.allFields() ? features.get(dep.feature()).fieldKeys() : dep.fields();
                upstreamFields.forEach(f -> parents.add(new FieldRef(dep.feature(), f)));
            }
        } else {
            for (FeatureDep dep : spec.deps()) {
                List<FieldKey> upstreamFields = features.get(dep.feature()).fieldKeys();
                dep.fieldsMapping().parentFields(field.key(), upstreamFields)
                        .forEach(f -> parents.add(new FieldRef(dep.feature(), f)));
            }
        }
        if (!spec.isRoot() && parents.isEmpty()) {
            throw new DefinitionException("feature '" + spec.key() + "' field '" + field.key()
                    + "' has no parent field: a field of a non-root feature must depend on at least one upstream field");
        }
        List<FieldRef> sorted = new ArrayList<>(parents);
        sorted.sort(FieldRef.ORDER);
        return List.copyOf(sorted);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureGraph other && new TreeMap<>(features).equals(new TreeMap<>(other.features));
    }

    @Override
    public int hashCode() {
        return new TreeMap<>(features).hashCode();
    }

    @Override
    public String toString() {
        return "FeatureGraph" + new TreeMap<>(features).keySet();
    }
}
