package io.metaxy.flink.definitions;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Generates valid random feature graphs from a seed, for property tests: 2–6 features with
 * multi-part and dashed keys over a small field-name pool (also multi-part and dashed, so that
 * '-', '.', '/' and '_' meet in the "feature.field" sort order), each depending on a random subset
 * of earlier features with random mappings, and some fields with explicit deps on several fields
 * of several upstream features.
 *
 * <p>Lineage follows Metaxy's rule ({@link Lineage}): each feature is keyed either by
 * {@code sample_uid} or by its own {@code id<i>}. A dep between features of the same key is 1:1
 * (now and then 1:N or N:1 on that shared id column); between different keys it is 1:N on the
 * parent's id column (the child carries it as an ordinary column, sometimes under a rename) or
 * N:1 on the child's id column (explicit or defaulted; the parent rows carry it as an ordinary
 * column, sometimes under a name the dep renames). Which ordinary columns a feature's rows must
 * carry is {@link #carriedColumns} (the graph's own {@link FeatureGraph#carriedColumns}, whose
 * oracle this is). {@link #generateOneToOne} keeps every feature on {@code sample_uid} with 1:1
 * deps only.
 */
public final class RandomGraphs {
    private static final List<String> FIELD_POOL = List.of("audio", "frames", "text", "embedding", "mask", "frames/rgb",
            "audio-left", "a/b-c/d", "x_y");
    /** Key shapes after the unique "f<i>" prefix; the prefix keeps keys and table names distinct. */
    private static final List<String> KEY_SUFFIXES = List.of("/step", "", "-raw", "/a-b/c_d", "/x/y", "_z/9-q");

    private RandomGraphs() {}

    /** A random valid graph with 1:1, 1:N and N:1 deps (see the class comment). */
    public static FeatureGraph generate(long seed) {
        return generate(seed, true);
    }

    /** A random valid graph whose features all use {@code sample_uid} and 1:1 deps. */
    public static FeatureGraph generateOneToOne(long seed) {
        return generate(seed, false);
    }

    private static FeatureGraph generate(long seed, boolean lineage) {
        Random random = new Random(seed);
        int count = 2 + random.nextInt(5);
        List<FeatureSpec> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String idColumn = lineage && random.nextInt(3) == 0 ? "id" + i : "sample_uid";
            FeatureSpec.Builder builder = FeatureSpec.builder("f" + i + KEY_SUFFIXES.get(random.nextInt(KEY_SUFFIXES.size())))
                    .idColumns(idColumn);
            List<String> fields = pick(random, FIELD_POOL, 1 + random.nextInt(3));
            List<FeatureSpec> upstreams = i == 0 ? List.of() : pick(random, specs, random.nextInt(Math.min(3, i) + 1));
            for (FeatureSpec up : upstreams) {
                FeatureDep.Builder dep = FeatureDep.on(up.key()).fieldsMapping(mapping(random, fields, up)).optional(random.nextInt(5) == 0);
                if (lineage) {
                    lineage(random, dep, idColumn, up.idColumns().get(0));
                }
                builder.dep(dep.build());
            }
            for (String field : fields) {
                FieldSpec.Builder fb = FieldSpec.builder(field).codeVersion(String.valueOf(random.nextInt(3)));
                if (!upstreams.isEmpty() && random.nextInt(3) == 0) {
                    // Explicit deps: one or more upstream features, each all fields or a non-empty subset.
                    List<FieldDep> explicit = new ArrayList<>();
                    for (FeatureSpec up : pick(random, upstreams, 1 + random.nextInt(upstreams.size()))) {
                        explicit.add(random.nextInt(3) == 0
                                ? new FieldDep(up.key(), null)
                                : new FieldDep(up.key(), pick(random, up.fieldKeys(), 1 + random.nextInt(up.fields().size()))));
                    }
                    fb.deps(explicit);
                }
                builder.field(fb.build());
            }
            FeatureSpec spec = builder.build();
            try {
                FeatureGraph.of(concat(specs, spec));
            } catch (DefinitionException parentless) {
                // A none/specific mapping left a field without parents: fall back to the default mapping.
                FeatureSpec.Builder fixed = FeatureSpec.builder(spec.key()).idColumns(spec.idColumns());
                spec.deps().forEach(d -> fixed.dep(d.toBuilder().fieldsMapping(FieldsMapping.defaults()).build()));
                spec.fields().forEach(fixed::field);
                spec = fixed.build();
            }
            specs.add(spec);
        }
        return FeatureGraph.of(specs);
    }

    /** The same graph with deps, fields and features declared in a shuffled order. */
    public static FeatureGraph shuffled(FeatureGraph graph, long seed) {
        Random random = new Random(seed);
        List<FeatureSpec> specs = new ArrayList<>();
        for (FeatureSpec spec : graph.features()) {
            List<FeatureDep> deps = new ArrayList<>(spec.deps());
            List<FieldSpec> fields = new ArrayList<>();
            for (FieldSpec field : spec.fields()) {
                List<FieldDep> explicit = new ArrayList<>();
                for (FieldDep dep : field.deps()) {
                    List<FieldKey> upstreamFields = dep.allFields() ? null : new ArrayList<>(dep.fields());
                    if (upstreamFields != null) {
                        Collections.shuffle(upstreamFields, random);
                    }
                    explicit.add(new FieldDep(dep.feature(), upstreamFields));
                }
                Collections.shuffle(explicit, random);
                fields.add(new FieldSpec(field.key(), field.codeVersion(), explicit));
            }
            Collections.shuffle(deps, random);
            Collections.shuffle(fields, random);
            FeatureSpec.Builder b = FeatureSpec.builder(spec.key()).idColumns(spec.idColumns());
            deps.forEach(b::dep);
            fields.forEach(b::field);
            specs.add(b.build());
        }
        Collections.shuffle(specs, random);
        return FeatureGraph.of(specs);
    }

    /** A lineage by Metaxy's rule between a child keyed by {@code childId} and a parent keyed by {@code parentId}. */
    private static void lineage(Random random, FeatureDep.Builder dep, String childId, String parentId) {
        if (childId.equals(parentId)) {
            switch (random.nextInt(6)) {
                case 0 -> dep.lineage(Lineage.expansion(List.of(parentId)));    // degenerate, but Metaxy allows it
                case 1 -> dep.lineage(Lineage.aggregation(random.nextBoolean() ? List.of(childId) : null));
                default -> dep.lineage(Lineage.identity());
            }
            return;
        }
        if (random.nextBoolean()) {
            // 1:N: 'on' names the parent's id column (after rename); the child carries it.
            if (random.nextInt(3) == 0) {
                String renamed = "parent_" + parentId;
                dep.rename(Map.of(parentId, renamed)).lineage(Lineage.expansion(List.of(renamed)));
            } else {
                dep.lineage(Lineage.expansion(List.of(parentId)));
            }
        } else {
            // N:1: 'on' is the child's id column; the parent rows carry it (maybe under another name).
            if (random.nextInt(3) == 0) {
                dep.rename(Map.of("src_" + childId, childId));
            }
            dep.lineage(Lineage.aggregation(random.nextBoolean() ? List.of(childId) : null));
        }
    }

    /**
     * Oracle for {@link FeatureGraph#carriedColumns}: the ordinary columns rows of {@code feature}
     * must carry — the {@code on} columns of its 1:N deps and those of its children's N:1 deps on
     * it (under the parent's own name), minus its id columns.
     */
    public static Set<String> carriedColumns(FeatureGraph graph, FeatureKey feature) {
        FeatureSpec spec = graph.spec(feature);
        Set<String> carried = new java.util.TreeSet<>();
        for (FeatureDep dep : spec.deps()) {
            if (dep.lineage() instanceof Lineage.Expansion expansion) {
                carried.addAll(expansion.on());
            }
        }
        for (FeatureSpec child : graph.features()) {
            for (FeatureDep dep : child.deps()) {
                if (dep.feature().equals(feature) && dep.lineage() instanceof Lineage.Aggregation aggregation) {
                    List<String> on = aggregation.on().isEmpty() ? child.idColumns() : aggregation.on();
                    for (String column : on) {
                        String own = column;
                        for (Map.Entry<String, String> e : dep.rename().entrySet()) {
                            if (e.getValue().equals(column)) {
                                own = e.getKey();
                            }
                        }
                        carried.add(own);
                    }
                }
            }
        }
        carried.removeAll(spec.idColumns());
        return carried;
    }

    private static FieldsMapping mapping(Random random, List<String> fields, FeatureSpec up) {
        return switch (random.nextInt(8)) {
            case 0 -> FieldsMapping.all();
            case 1 -> FieldsMapping.none();
            case 2 -> {
                Map<FieldKey, Set<FieldKey>> table = new LinkedHashMap<>();
                for (String field : fields) {
                    if (random.nextBoolean()) {
                        table.put(FieldKey.of(field), Set.of(up.fields().get(random.nextInt(up.fields().size())).key()));
                    }
                }
                yield FieldsMapping.specific(table);
            }
            case 3 -> new FieldsMapping.Default(false, Set.of(up.fields().get(0).key()));
            case 4 -> new FieldsMapping.Default(true, Set.of());
            case 5 -> new FieldsMapping.Default(true, Set.of(up.fields().get(up.fields().size() - 1).key()));
            default -> FieldsMapping.defaults();
        };
    }

    private static <T> List<T> pick(Random random, List<T> pool, int n) {
        List<T> copy = new ArrayList<>(pool);
        Collections.shuffle(copy, random);
        return List.copyOf(copy.subList(0, Math.min(n, copy.size())));
    }

    private static List<FeatureSpec> concat(List<FeatureSpec> specs, FeatureSpec spec) {
        List<FeatureSpec> all = new ArrayList<>(specs);
        all.add(spec);
        return all;
    }

    /**
     * Fields transitively downstream of {@code start} (excluding it), from the specs alone: an
     * oracle for {@link FeatureGraph#parentFields} that spells out design §2's rules again rather
     * than calling the code under test.
     */
    public static Set<FieldRef> downstream(FeatureGraph graph, FieldRef start) {
        Map<FeatureKey, FeatureSpec> specs = new LinkedHashMap<>();
        graph.features().forEach(spec -> specs.put(spec.key(), spec));
        Set<FieldRef> found = new HashSet<>();
        boolean grew = true;
        while (grew) {
            grew = false;
            for (FeatureSpec spec : specs.values()) {
                for (FieldSpec field : spec.fields()) {
                    FieldRef ref = new FieldRef(spec.key(), field.key());
                    if (found.contains(ref)) {
                        continue;
                    }
                    for (FieldRef parent : parentsPerDesign(specs, spec, field)) {
                        if (parent.equals(start) || found.contains(parent)) {
                            found.add(ref);
                            grew = true;
                            break;
                        }
                    }
                }
            }
        }
        return found;
    }

    /**
     * Design §2: explicit deps if any; else per feature dep by its mapping — default: same key (or
     * key suffix), else every upstream field, minus exclusions; all; none; specific: the table.
     */
    public static Set<FieldRef> parentsPerDesign(Map<FeatureKey, FeatureSpec> specs, FeatureSpec spec, FieldSpec field) {
        Set<FieldRef> parents = new HashSet<>();
        if (!field.deps().isEmpty()) {
            for (FieldDep dep : field.deps()) {
                for (FieldSpec up : specs.get(dep.feature()).fields()) {
                    if (dep.fields() == null || dep.fields().contains(up.key())) {
                        parents.add(new FieldRef(dep.feature(), up.key()));
                    }
                }
            }
            return parents;
        }
        for (FeatureDep dep : spec.deps()) {
            List<FieldKey> upstream = specs.get(dep.feature()).fields().stream().map(FieldSpec::key).toList();
            List<FieldKey> chosen = new ArrayList<>();
            if (dep.fieldsMapping() instanceof FieldsMapping.Default d) {
                List<FieldKey> candidates = upstream.stream().filter(up -> !d.excludeFields().contains(up)).toList();
                String own = field.key().toString();
                for (FieldKey up : candidates) {
                    String text = up.toString();
                    if (text.equals(own) || (d.matchSuffix() && text.endsWith("/" + own))) {
                        chosen.add(up);
                    }
                }
                if (chosen.isEmpty()) {
                    chosen.addAll(candidates);
                }
            } else if (dep.fieldsMapping() instanceof FieldsMapping.All) {
                chosen.addAll(upstream);
            } else if (dep.fieldsMapping() instanceof FieldsMapping.Specific table) {
                upstream.stream().filter(up -> table.mapping().getOrDefault(field.key(), Set.of()).contains(up)).forEach(chosen::add);
            }
            chosen.forEach(up -> parents.add(new FieldRef(dep.feature(), up)));
        }
        return parents;
    }
}
