package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.junit.jupiter.api.Test;

/** {@link IncrementJob#stateChangelog}: on unless turned off, filling only what the user left unset. */
class StateChangelogConfigurationTest {
    @Test
    void theJobsConfigurationWithACheckpointDirectoryRunsIt() {
        Configuration c = IncrementJob.configuration(Duration.ofSeconds(1), "file:///tmp/mx-checkpoints");
        assertThat(c.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isTrue();
        assertThat(c.get(IncrementJob.CHANGELOG_BASE_PATH)).isEqualTo("file:///tmp/mx-checkpoints/changelog");
        // Restores of its job graphs claim, as the changelog needs.
        assertThat(IncrementJob.restoreFrom("file:///tmp/sp", true, c).getRecoveryClaimMode()).isEqualTo(RecoveryClaimMode.CLAIM);
        assertThat(IncrementJob.restoreFrom("file:///tmp/sp", true, c).allowNonRestoredState()).isTrue();
    }

    @Test
    void turnedOffItStaysOffAndSetsNothing() {
        Configuration c = IncrementJob.configuration(Duration.ofSeconds(1), null);
        c.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, false);
        Configuration before = new Configuration(c);
        IncrementJob.stateChangelog(c, "file:///tmp/mx-checkpoints");
        assertThat(c.toMap()).isEqualTo(before.toMap());
        assertThat(IncrementJob.restoreFrom("file:///tmp/sp", false, c).getRecoveryClaimMode()).isEqualTo(RecoveryClaimMode.NO_CLAIM);
    }

    @Test
    void turnedOnItGetsItsFilesBesideTheCheckpointsAMaterializationIntervalAndClaimingRestores() {
        Configuration c = IncrementJob.configuration(Duration.ofSeconds(1), null);
        assertThat(c.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isFalse(); // no directory for its log yet
        IncrementJob.stateChangelog(c, "file:///tmp/mx-checkpoints/");
        assertThat(c.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isTrue();
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
