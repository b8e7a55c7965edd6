package io.metaxy.flink.definitions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.LinkedHashMap;
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
}
