package io.metaxy.flink.versioning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.GraphReader;
import java.nio.file.Path;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class DefinitionVersionsTest {
    private static final FeatureGraph OVERVIEW = GraphReader.read(Path.of("examples", "overview.yaml"));
    private static final DefinitionVersions FULL = DefinitionVersions.of(OVERVIEW, 64);

    /**
     * Versions are min(length, 64) characters; lengths past sha256's 64 hex characters give the
     * whole digest. (Feature and graph versions hash truncated field versions, so only code
     * versions, which hash no other version, are prefixes of the full-length ones.)
     */
    @Property(tries = 60)
    void lengthIsCappedAtTheWholeDigest(@ForAll @IntRange(min = 8, max = 500) int length) {
        DefinitionVersions versions = DefinitionVersions.of(OVERVIEW, length);
        int expected = Math.min(length, 64);
        assertThat(versions.graphVersion()).hasSize(expected);
        for (FeatureKey key : OVERVIEW.keys()) {
            assertThat(versions.featureVersion(key)).hasSize(expected);
            assertThat(versions.codeVersion(key)).isEqualTo(FULL.codeVersion(key).substring(0, expected));
            versions.fieldVersions(key).values().forEach(v -> assertThat(v).hasSize(expected));
        }
        if (length >= 64) {
            assertThat(versions.graphVersion()).isEqualTo(FULL.graphVersion());
        }
    }

    @Property(tries = 10)
    void lengthsBelowEightAreRejected(@ForAll @IntRange(min = -5, max = 7) int length) {
        assertThatThrownBy(() -> DefinitionVersions.of(OVERVIEW, length)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 8, got " + length);
    }
}
