package io.metaxy.flink.versioning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaxy.flink.definitions.DefinitionException;
import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldKey;
import io.metaxy.flink.definitions.FieldSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Multi-part field keys as Metaxy renders them (versioning/engine.py): the by-field maps name a
 * field by {@code FieldKey.to_struct_key()} (parts joined with '_'), the sample provenance joins
 * the fields sorted by that name, and the hash inputs keep {@code to_string()} ("a/z").
 */
class FieldKeyRenderingTest {
    // "a/z" sorts before "a0" as written ('/' < '0') but after it as a struct key ('0' < '_').
    private static final FeatureSpec PARENT = FeatureSpec.builder("p")
            .field(FieldSpec.of("a/z", "1")).field(FieldSpec.of("a0", "1")).build();
    private static final FeatureSpec CHILD = FeatureSpec.builder("c").dep(FeatureDep.on("p").build())
            .field(FieldSpec.of("a/z", "2")).field(FieldSpec.of("a0", "3")).build();
    private static final FeatureGraph GRAPH = FeatureGraph.of(List.of(PARENT, CHILD));

    @Test
    void structKeyJoinsPartsWithUnderscore() {
        assertThat(FieldKey.of("frames/rgb").structKey()).isEqualTo("frames_rgb");
        assertThat(FieldKey.of("a/b-c/d").structKey()).isEqualTo("a_b-c_d");
        assertThat(FieldKey.of("audio").structKey()).isEqualTo("audio");
    }

    @Test
    void byFieldMapsUseStructKeysAndProvenanceTheirOrder() {
        ProvenanceCalculator calc = ProvenanceCalculator.of(GRAPH, FeatureKey.of("c"), SampleHasher.DEFAULT);
        assertThat(calc.fields()).containsExactly(FieldKey.of("a0"), FieldKey.of("a/z"));
        assertThat(calc.fieldNames()).containsExactly("a0", "a_z");

        Map<String, String> byField = calc.provenanceByField(Map.of(FeatureKey.of("p"), Map.of("a_z", "dz", "a0", "d0")));
        assertThat(byField.keySet()).containsExactly("a0", "a_z");
        // The hash input names the field and its parent as written.
        assertThat(byField.get("a_z")).isEqualTo(SampleHasher.DEFAULT.hash("a/z|2|p.a/z|dz"));
        assertThat(byField.get("a0")).isEqualTo(SampleHasher.DEFAULT.hash("a0|3|p.a0|d0"));
        assertThat(calc.provenance(byField)).isEqualTo(SampleHasher.DEFAULT.hash(byField.get("a0") + "|" + byField.get("a_z")));

        assertThatThrownBy(() -> calc.provenanceByField(Map.of(FeatureKey.of("p"), Map.of("a/z", "dz", "a0", "d0"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no data version for field 'a_z'");
    }

    @Test
    void definitionVersionsKeepWrittenKeysInTheirOrder() {
        // Metaxy's feature version sorts the field keys as written (FeatureGraph.get_feature_version).
        DefinitionVersions versions = DefinitionVersions.of(GRAPH, 64);
        assertThat(versions.fieldVersions(FeatureKey.of("p")).keySet()).containsExactly("a/z", "a0");
    }

    @Test
    void fieldsSharingAStructKeyAreAGraphError() {
        FeatureSpec clash = FeatureSpec.builder("x").field(FieldSpec.of("a/b")).field(FieldSpec.of("a_b")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(clash))).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("feature 'x' fields 'a/b' and 'a_b' both appear as 'a_b' in metaxy_provenance_by_field");
    }
}
