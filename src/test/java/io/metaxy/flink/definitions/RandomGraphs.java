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
 * Generates valid random feature graphs from a seed, for property tests: 2–6 features over a small
 * field-name pool, each depending on a random subset of earlier features with random mappings.
 */
public final class RandomGraphs {
    private static final List<String> FIELD_POOL = List.of("audio", "frames", "text", "embedding", "mask");

    private RandomGraphs() {}

    public static FeatureGraph generate(long seed) {
        Random random = new Random(seed);
        int count = 2 + random.nextInt(5);
        List<FeatureSpec> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            FeatureSpec.Builder builder = FeatureSpec.builder("f" + i + "/step").idColumns("sample_uid");
            List<String> fields = pick(random, FIELD_POOL, 1 + random.nextInt(3));
            List<FeatureSpec> upstreams = i == 0 ? List.of() : pick(random, specs, random.nextInt(Math.min(3, i) + 1));
            for (FeatureSpec up : upstreams) {
                builder.dep(FeatureDep.on(up.key()).fieldsMapping(mapping(random, fields, up)).optional(random.nextInt(5) == 0).build());
            }
            for (String field : fields) {
                FieldSpec.Builder fb = FieldSpec.builder(field).codeVersion(String.valueOf(random.nextInt(3)));
                if (!upstreams.isEmpty() && random.nextInt(4) == 0) {
                    FeatureSpec up = upstreams.get(random.nextInt(upstreams.size()));
                    fb.deps(List.of(random.nextBoolean()
                            ? new FieldDep(up.key(), null)
                            : new FieldDep(up.key(), List.of(up.fields().get(random.nextInt(up.fields().size())).key()))));
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
            List<FieldSpec> fields = new ArrayList<>(spec.fields());
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
        return switch (random.nextInt(6)) {
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

    /** Fields transitively downstream of {@code start} (excluding it). */
    public static Set<FieldRef> downstream(FeatureGraph graph, FieldRef start) {
        Set<FieldRef> found = new HashSet<>();
        boolean grew = true;
        while (grew) {
            grew = false;
            for (FeatureSpec spec : graph.features()) {
                for (FieldSpec field : spec.fields()) {
                    FieldRef ref = new FieldRef(spec.key(), field.key());
                    if (found.contains(ref)) {
                        continue;
                    }
                    for (FieldRef parent : graph.parentFields(spec.key(), field.key())) {
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
}
