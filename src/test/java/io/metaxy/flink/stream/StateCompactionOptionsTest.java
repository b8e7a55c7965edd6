package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.rocksdb.RocksDBOptionsFactory;
import org.junit.jupiter.api.Test;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.RocksDB;

class StateCompactionOptionsTest {
    static {
        RocksDB.loadLibrary();
    }

    @Test
    void theJobsConfigurationNamesTheFactoryAndItsDefaultApplies() {
        Configuration c = IncrementJob.configuration(Duration.ofSeconds(1), null);
        assertThat(c.getString("state.backend.rocksdb.options-factory", null)).isEqualTo(StateCompactionOptions.class.getName());
        try (ColumnFamilyOptions options = new ColumnFamilyOptions()) {
            RocksDBOptionsFactory f = new StateCompactionOptions().configure(c);
            f.createColumnOptions(options, new ArrayList<>());
            assertThat(options.level0FileNumCompactionTrigger()).isEqualTo(StateCompactionOptions.LEVEL0_COMPACTION_TRIGGER.defaultValue());
            assertThat(options.level0FileNumCompactionTrigger()).isEqualTo(4);
            assertThat(options.level0StopWritesTrigger()).isGreaterThan(options.level0SlowdownWritesTrigger());
        }
    }

    @Test
    void aConfiguredTriggerWinsAndRocksDbsStallTriggersNeverFall() {
        Configuration c = new Configuration();
        c.set(StateCompactionOptions.LEVEL0_COMPACTION_TRIGGER, 2);
        try (ColumnFamilyOptions options = new ColumnFamilyOptions()) {
            int slowdown = options.level0SlowdownWritesTrigger();
            int stop = options.level0StopWritesTrigger();
            new StateCompactionOptions().configure(c).createColumnOptions(options, new ArrayList<>());
            assertThat(options.level0FileNumCompactionTrigger()).isEqualTo(2);
            assertThat(options.level0SlowdownWritesTrigger()).isEqualTo(slowdown);
            assertThat(options.level0StopWritesTrigger()).isEqualTo(stop);
        }
        c.set(StateCompactionOptions.LEVEL0_COMPACTION_TRIGGER, 20);
        try (ColumnFamilyOptions options = new ColumnFamilyOptions()) {
            new StateCompactionOptions().configure(c).createColumnOptions(options, new ArrayList<>());
            assertThat(options.level0SlowdownWritesTrigger()).isEqualTo(40);
            assertThat(options.level0StopWritesTrigger()).isEqualTo(60);
        }
    }

    @Test
    void aTriggerBelowOneIsRefusedByName() {
        Configuration c = new Configuration();
        c.set(StateCompactionOptions.LEVEL0_COMPACTION_TRIGGER, 0);
        assertThatThrownBy(() -> new StateCompactionOptions().configure(c))
                .hasMessageContaining("metaxy.rocksdb.level0-compaction-trigger").hasMessageContaining("0");
    }
}
