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
 */
public final class RandomGraphs {
    private static final List<String> FIELD_POOL = List.of("audio", "frames", "text", "embedding", "mask", "frames/rgb",
            "audio-left", "a/b-c/d", "x_y");
    /** Key shapes after the unique "f<i>" prefix; the prefix keeps keys and table names distinct. */
    private static final List<String> KEY_SUFFIXES = List.of("/step", "", "-raw", "/a-b/c_d", "/x/y", "_z/9-q");

    private RandomGraphs() {}

    public static FeatureGraph generate(long seed) {
        Random random = new Random(seed);
        int count = 2 + random.nextInt(5);
        List<FeatureSpec> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            FeatureSpec.Builder builder = FeatureSpec.builder("f" + i + KEY_SUFFIXES.get(random.nextInt(KEY_SUFFIXES.size())))
                    .idColumns("sample_uid");
            List<String> fields = pick(random, FIELD_POOL, 1 + random.nextInt(3));
            List<FeatureSpec> upstreams = i == 0 ? List.of() : pick(random, specs, random.nextInt(Math.min(3, i) + 1));
            for (FeatureSpec up : upstreams) {
                builder.dep(FeatureDep.on(up.key()).fieldsMapping(mapping(random, fields, up)).optional(random.nextInt(5) == 0).build());
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
