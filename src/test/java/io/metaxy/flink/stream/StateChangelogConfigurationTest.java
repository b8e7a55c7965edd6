package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.junit.jupiter.api.Test;

/** {@link IncrementJob#stateChangelog}: opt-in, and once on it fills only what the user left unset. */
class StateChangelogConfigurationTest {
    @Test
    void offByDefaultItSetsNothing() {
        Configuration c = IncrementJob.configuration(Duration.ofSeconds(1), "file:///tmp/mx-checkpoints");
        Configuration before = new Configuration(c);
        IncrementJob.stateChangelog(c, "file:///tmp/mx-checkpoints");
        assertThat(c.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isFalse();
        assertThat(c.toMap()).isEqualTo(before.toMap());
    }

    @Test
    void turnedOnItGetsItsFilesBesideTheCheckpointsAMaterializationIntervalAndClaimingRestores() {
        Configuration c = IncrementJob.configuration(Duration.ofSeconds(1), null);
        c.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, true);
        IncrementJob.stateChangelog(c, "file:///tmp/mx-checkpoints/");
        assertThat(c.get(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE)).isEqualTo("filesystem");
        assertThat(c.get(IncrementJob.CHANGELOG_BASE_PATH)).isEqualTo("file:///tmp/mx-checkpoints/changelog");
        assertThat(c.get(StateChangelogOptions.PERIODIC_MATERIALIZATION_INTERVAL)).isEqualTo(IncrementJob.CHANGELOG_MATERIALIZATION);
        assertThat(c.get(StateRecoveryOptions.RESTORE_MODE)).isEqualTo(RecoveryClaimMode.CLAIM);
    }

    @Test
    void whatTheUserSetStays() {
        Configuration c = new Configuration();
        c.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, true);
        c.set(IncrementJob.CHANGELOG_BASE_PATH, "file:///elsewhere");
        c.set(StateChangelogOptions.PERIODIC_MATERIALIZATION_INTERVAL, Duration.ofMinutes(3));
        c.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.NO_CLAIM);
        IncrementJob.stateChangelog(c, "file:///tmp/mx-checkpoints");
        assertThat(c.get(IncrementJob.CHANGELOG_BASE_PATH)).isEqualTo("file:///elsewhere");
        assertThat(c.get(StateChangelogOptions.PERIODIC_MATERIALIZATION_INTERVAL)).isEqualTo(Duration.ofMinutes(3));
        assertThat(c.get(StateRecoveryOptions.RESTORE_MODE)).isEqualTo(RecoveryClaimMode.NO_CLAIM);
    }
}
