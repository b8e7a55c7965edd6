package io.metaxy.flink.stream;

import java.util.Collection;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.state.rocksdb.ConfigurableRocksDBOptionsFactory;
import org.apache.flink.state.rocksdb.RocksDBOptionsFactory;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;

/**
 * The RocksDB setting Flink has no option for: how many L0 files wait before they are compacted
 * into L1. Every checkpoint flushes the memtable into a small L0 file, and the state's keys
 * (key group first) spread over the whole key space, so each L0 → L1 compaction rewrites all of
 * L1 whatever the number of L0 files it takes. With RocksDB's default of 4 that is a rewrite of
 * L1 every 4 checkpoints; 12 cut the compaction thread's CPU at 1M samples from 9–16 to 3 µs per
 * sample, but each compaction then comes as a burst three times larger on cores the task
 * threads share, and the at-least-once p99 rose (BENCHMARKS.md, session 9). So the default stays
 * RocksDB's, and a throughput-bound exactly-once job can raise it. Bloom filters (set by the
 * job) keep a lookup's cost per extra L0 file to a filter probe. The write slowdown and stop
 * triggers are raised with it, so more L0 files never stall writes sooner than before.
 *
 * <p>Set by {@link IncrementJob#configuration} as {@code state.backend.rocksdb.options-factory};
 * Flink applies its own {@code state.backend.rocksdb.*} options first, then this.
 *
 * <pre>{@code
 * run --flink-property metaxy.rocksdb.level0-compaction-trigger=12
 * }</pre>
 */
public final class StateCompactionOptions implements ConfigurableRocksDBOptionsFactory {
    private static final long serialVersionUID = 1L;

    /** L0 files that start an L0 → L1 compaction of the job's keyed state (RocksDB's default: 4). */
    public static final ConfigOption<Integer> LEVEL0_COMPACTION_TRIGGER = ConfigOptions
            .key("metaxy.rocksdb.level0-compaction-trigger")
            .intType()
            .defaultValue(4)
            .withDescription("L0 files that start an L0 -> L1 compaction of the job's keyed state (RocksDB's default). "
                    + "More (e.g. 12) spend less CPU on compaction, in larger bursts.");

    private int level0Trigger = LEVEL0_COMPACTION_TRIGGER.defaultValue();

    @Override
    public RocksDBOptionsFactory configure(ReadableConfig configuration) {
        int trigger = configuration.get(LEVEL0_COMPACTION_TRIGGER);
        if (trigger < 1) {
            throw new IllegalArgumentException(LEVEL0_COMPACTION_TRIGGER.key() + " must be at least 1, got " + trigger);
        }
        level0Trigger = trigger;
        return this;
    }

    @Override
    public DBOptions createDBOptions(DBOptions currentOptions, Collection<AutoCloseable> handlesToClose) {
        return currentOptions;
    }

    @Override
    public ColumnFamilyOptions createColumnOptions(ColumnFamilyOptions currentOptions, Collection<AutoCloseable> handlesToClose) {
        return currentOptions
                .setLevel0FileNumCompactionTrigger(level0Trigger)
                .setLevel0SlowdownWritesTrigger(Math.max(currentOptions.level0SlowdownWritesTrigger(), level0Trigger * 2))
                .setLevel0StopWritesTrigger(Math.max(currentOptions.level0StopWritesTrigger(), level0Trigger * 3));
    }
}
