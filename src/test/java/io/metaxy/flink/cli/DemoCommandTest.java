package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.stream.StreamPlan;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The demo's bundled graph and its {@code --change}, without running anything. */
class DemoCommandTest {
    @Test
    void bundlesTheOverviewGraphAndBumpsOnlyTheChangedFeature() {
        StreamPlan bundled = StreamPlan.of(DemoCommand.graph(null));
        assertThat(bundled.graphVersion())
                .isEqualTo(StreamPlan.of(GraphReader.read(Path.of("examples/overview.yaml"))).graphVersion());
        StreamPlan changed = StreamPlan.of(DemoCommand.graph("example/stt:transcription"));
        for (StreamPlan.Feature f : bundled.features()) {
            assertThat(changed.feature(f.key).featureVersion.equals(f.featureVersion))
                    .as(f.key).isEqualTo(!f.key.equals("example/stt"));
        }
        assertThat(DemoCommand.bump("1")).isEqualTo("2");
        assertThatThrownBy(() -> DemoCommand.graph("example/stt:nope")).hasMessageContaining("no field 'nope'");
        assertThatThrownBy(() -> DemoCommand.graph("example/stt")).hasMessageContaining("FEATURE:FIELD");
    }
}
