package io.metaxy.flink.versioning;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldRef;
import io.metaxy.flink.definitions.FieldSpec;
import io.metaxy.flink.definitions.RandomGraphs;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class VersioningProperties {

    @Property(tries = 300)
    void codeVersionChangeTouchesExactlyTheFieldAndItsDownstream(@ForAll long seed, @ForAll @IntRange(min = 0, max = 1000) int pick) {
        FeatureGraph graph = RandomGraphs.generate(seed);
        List<FieldRef> all = allFields(graph);
        FieldRef bumped = all.get(pick % all.size());
        FeatureSpec spec = graph.spec(bumped.feature());
        FeatureSpec.Builder changed = FeatureSpec.builder(spec.key()).idColumns(spec.idColumns());
        spec.deps().forEach(changed::dep);
        spec.fields().forEach(f -> changed.field(f.key().equals(bumped.field()) ? f.withCodeVersion(f.codeVersion() + "-next") : f));
        FeatureGraph after = graph.with(changed.build());

        DefinitionVersions v1 = DefinitionVersions.of(graph);
        DefinitionVersions v2 = DefinitionVersions.of(after);
        Set<FieldRef> expectedChanged = new HashSet<>(RandomGraphs.downstream(graph, bumped));
        expectedChanged.add(bumped);

        Set<FieldRef> actuallyChanged = new HashSet<>();
        for (FieldRef ref : all) {
            if (!v1.fieldVersion(ref.feature(), ref.field()).equals(v2.fieldVersion(ref.feature(), ref.field()))) {
                actuallyChanged.add(ref);
            }
        }
        assertThat(actuallyChanged).isEqualTo(expectedChanged);
        for (FeatureKey feature : graph.keys()) {
            boolean touched = expectedChanged.stream().anyMatch(ref -> ref.feature().equals(feature));
            assertThat(v1.featureVersion(feature).equals(v2.featureVersion(feature))).as("feature %s", feature).isEqualTo(!touched);
        }
        assertThat(v1.graphVersion()).isNotEqualTo(v2.graphVersion());
    }

    @Property(tries = 300)
    void versionsDoNotDependOnDeclarationOrder(@ForAll long seed, @ForAll long shuffleSeed) {
        FeatureGraph graph = RandomGraphs.generate(seed);
        FeatureGraph shuffled = RandomGraphs.shuffled(graph, shuffleSeed);
        DefinitionVersions a = DefinitionVersions.of(graph);
        DefinitionVersions b = DefinitionVersions.of(shuffled);
        assertThat(b.graphVersion()).isEqualTo(a.graphVersion());

        Random random = new Random(seed ^ shuffleSeed);
        for (FeatureKey feature : graph.keys()) {
            assertThat(b.featureVersion(feature)).isEqualTo(a.featureVersion(feature));
            if (graph.spec(feature).isRoot()) {
                continue;
            }
            for (SampleHasher hasher : List.of(SampleHasher.DEFAULT, SampleHasher.of(HashAlgorithm.SHA256))) {
                ProvenanceCalculator ca = ProvenanceCalculator.of(graph, feature, hasher);
                ProvenanceCalculator cb = ProvenanceCalculator.of(shuffled, feature, hasher);
                Map<FeatureKey, Map<String, String>> upstream = randomUpstream(graph, feature, random);
                Map<String, String> byField = ca.provenanceByField(upstream);
                assertThat(cb.provenanceByField(upstream)).isEqualTo(byField);
                assertThat(cb.provenance(byField)).isEqualTo(ca.provenance(byField));
            }
        }
    }

    @Property(tries = 200)
    void arrayAndMapFormsAgreeAndFollowTheFormula(@ForAll long seed) {
        FeatureGraph graph = RandomGraphs.generate(seed);
        Random random = new Random(seed);
        for (FeatureKey feature : graph.keys()) {
            if (graph.spec(feature).isRoot()) {
                continue;
            }
            ProvenanceCalculator calc = ProvenanceCalculator.of(graph, feature, SampleHasher.DEFAULT);
            Map<FeatureKey, Map<String, String>> upstream = randomUpstream(graph, feature, random);
            Map<String, String> byField = calc.provenanceByField(upstream);
            Map<FeatureKey, FeatureSpec> specs = new HashMap<>();
            graph.features().forEach(spec -> specs.put(spec.key(), spec));
            for (FieldSpec field : graph.spec(feature).fields()) {
                // The formula of design §3, spelled out with string joins over independently resolved parents.
                List<String> parts = new ArrayList<>(List.of(field.key().toString(), field.codeVersion()));
                List<FieldRef> parents = RandomGraphs.parentsPerDesign(specs, graph.spec(feature), field).stream()
                        .sorted(Comparator.comparing(FieldRef::toString)).toList();
                for (FieldRef parent : parents) {
                    parts.add(parent.toString());
                    Map<String, String> parentVersions = upstream.get(parent.feature());
                    parts.add(parentVersions == null ? "" : parentVersions.get(parent.field().structKey()));
                }
                assertThat(byField.get(field.key().structKey())).isEqualTo(SampleHasher.DEFAULT.hash(String.join("|", parts)));
            }
            // Sample provenance: the per-field values joined in the order of their struct keys (Metaxy's by-field names).
            String joined = String.join("|", new java.util.TreeMap<>(byField).values());
            assertThat(calc.provenance(byField)).isEqualTo(SampleHasher.DEFAULT.hash(joined));
        }
    }

    private static Map<FeatureKey, Map<String, String>> randomUpstream(FeatureGraph graph, FeatureKey feature, Random random) {
        Map<FeatureKey, Map<String, String>> upstream = new HashMap<>();
        graph.spec(feature).deps().forEach(dep -> {
            if (dep.optional() && random.nextInt(3) == 0) {
                return;
            }
            Map<String, String> versions = new HashMap<>();
            graph.spec(dep.feature()).fields().forEach(f -> versions.put(f.key().structKey(), "v" + random.nextInt(1_000_000)));
            upstream.put(dep.feature(), versions);
        });
        return upstream;
    }

    private static List<FieldRef> allFields(FeatureGraph graph) {
        List<FieldRef> refs = new ArrayList<>();
        graph.features().forEach(spec -> spec.fields().forEach(f -> refs.add(new FieldRef(spec.key(), f.key()))));
        return refs;
    }
}
