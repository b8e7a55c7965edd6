package io.metaxy.flink.definitions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class FeatureGraphProperties {

    /** Parent-field resolution agrees with design §2 spelled out independently, for random graphs. */
    @Property(tries = 300)
    void parentFieldsFollowTheDesignRules(@ForAll long seed) {
        FeatureGraph graph = RandomGraphs.generate(seed);
        Map<FeatureKey, FeatureSpec> specs = new LinkedHashMap<>();
        graph.features().forEach(spec -> specs.put(spec.key(), spec));
        for (FeatureSpec spec : graph.features()) {
            for (FieldSpec field : spec.fields()) {
                assertThat(new HashSet<>(graph.parentFields(spec.key(), field.key())))
                        .as("%s.%s", spec.key(), field.key())
                        .isEqualTo(RandomGraphs.parentsPerDesign(specs, spec, field));
                assertThat(graph.parentFields(spec.key(), field.key())).isSortedAccordingTo(FieldRef.ORDER);
            }
        }
    }

    /** Random graphs with 1:N and N:1 deps are valid under Metaxy's rule, and the carried columns match the oracle. */
    @Property(tries = 300)
    void randomLineageFollowsMetaxysRule(@ForAll long seed) {
        FeatureGraph graph = RandomGraphs.generate(seed);
        for (FeatureSpec spec : graph.features()) {
            assertThat(graph.carriedColumns(spec.key())).as("%s", spec.key())
                    .isEqualTo(RandomGraphs.carriedColumns(graph, spec.key()));
            for (FeatureDep dep : spec.deps()) {
                if (dep.lineage() instanceof Lineage.Aggregation) {
                    assertThat(dep.lineage().on()).as("resolved default").isNotEmpty();
                    assertThat(spec.idColumns()).containsAll(dep.lineage().on());
                }
                if (dep.lineage() instanceof Lineage.Expansion) {
                    List<String> parentIds = graph.spec(dep.feature()).idColumns().stream()
                            .map(c -> dep.rename().getOrDefault(c, c)).toList();
                    assertThat(parentIds).containsAll(dep.lineage().on());
                }
            }
        }
        assertThat(RandomGraphs.shuffled(graph, seed).keys()).isEqualTo(graph.keys());
    }

    /** The one-to-one generator keeps every feature on sample_uid with 1:1 deps. */
    @Property(tries = 100)
    void oneToOneGraphsHaveOnlyIdentityDeps(@ForAll long seed) {
        for (FeatureSpec spec : RandomGraphs.generateOneToOne(seed).features()) {
            assertThat(spec.idColumns()).containsExactly("sample_uid");
            assertThat(spec.deps()).allMatch(d -> d.lineage() instanceof Lineage.Identity);
        }
    }
}
