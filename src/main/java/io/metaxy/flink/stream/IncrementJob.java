package io.metaxy.flink.stream;

import io.metaxy.flink.stream.bootstrap.MaxWatermark;
import io.metaxy.flink.stream.bootstrap.StoreSeedSource;
import io.metaxy.flink.stream.operator.GroupAssignFunction;
import io.metaxy.flink.stream.operator.IncrementOperator;
import io.metaxy.flink.stream.operator.ParseFunction;
import io.metaxy.flink.stream.operator.RouteFunction;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The streaming job of design §5. It receives its source and sinks, so production wires Kafka
 * ({@link io.metaxy.flink.stream.kafka.KafkaConnections}) and tests wire whatever they need:
 *
 * <pre>
 * feature topics ─► parse/validate/stamp ─┬─► store sink (optional)
 *                          └─► dead letters   └─► route ─┬─────────────────────────────────────┬─► keyBy(feature, grain ids)
 *                                                       └─► keyBy(row) ─► GroupAssignFunction ─┘      ─► IncrementOperator ─► increments
 * </pre>
 *
 * <pre>{@code
 * StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
 *         IncrementJob.configuration(Duration.ofSeconds(1), "file:///tmp/metaxy-checkpoints"));
 * new IncrementJob(plan, kafka.source(), kafka.incrementSink(), kafka.deadLetterSink(), storeSinkOrNull).build(env);
 * env.execute("metaxy-increments");
 * }</pre>
 */
public final class IncrementJob {
    public static final String UID_SOURCE = "metaxy-source";
    public static final String UID_PARSE = "metaxy-parse";
    public static final String UID_ROUTE = "metaxy-route";
    public static final String UID_INCREMENT_SINK = "metaxy-increment-sink";
    public static final String UID_DLQ_SINK = "metaxy-dlq-sink";
    public static final String UID_STORE_SINK = "metaxy-store-sink";

    private final StreamPlan plan;
    private final Source<RawRecord, ?, ?> source;
    private final Sink<IncrementRecord> incrementSink;
    private final Sink<DeadLetter> deadLetterSink;
    private final Sink<StampedRow> storeSink;
    private int maxValueBytes = RowParser.DEFAULT_MAX_VALUE_BYTES;
    private StoreSeedSource seeds;

    /** {@code storeSink} may be null: then stamped rows are not persisted (Kafka-only mode). */
    public IncrementJob(StreamPlan plan, Source<RawRecord, ?, ?> source, Sink<IncrementRecord> incrementSink,
            Sink<DeadLetter> deadLetterSink, Sink<StampedRow> storeSink) {
        this.plan = plan;
        this.source = source;
        this.incrementSink = incrementSink;
        this.deadLetterSink = deadLetterSink;
        this.storeSink = storeSink;
    }

    public IncrementJob maxValueBytes(int bytes) {
        this.maxValueBytes = bytes;
        return this;
    }

    /**
     * Seeds the job's state from a store's current rows ({@code run --bootstrap-from-store}):
     * the seeds take their own parse and route (parallelism 1, uids after
     * {@link StoreSeedSource#uid}) into the keyed operators, so the Kafka path's chain is the same
     * as without a bootstrap, and the Kafka source always emits {@code Watermark.MAX}, so the
     * increment operator's input watermark is the seed source's: MAX once every seed is in.
     */
    public IncrementJob bootstrap(StoreSeedSource seeds) {
        this.seeds = seeds;
        return this;
    }

    /** Adds the whole job to {@code env}. */
    public void build(StreamExecutionEnvironment env) {
        DataStream<RawRecord> input = env.fromSource(source,
                        seeds == null ? WatermarkStrategy.noWatermarks() : MaxWatermark.strategy(), "feature topics")
                .uid(UID_SOURCE).name("feature topics");
        DataStream<RawRecord> seedInput = null;
        if (seeds != null) {
            String uid = StoreSeedSource.uid(plan);
            seedInput = env.fromSource(seeds, WatermarkStrategy.noWatermarks(), "store seeds")
                    .uid(uid).name("store seeds " + uid).setParallelism(1);
        }
        attach(input, seedInput);
    }

    /** Adds everything downstream of the raw records (tests insert failure injection before it). */
    public void attach(DataStream<RawRecord> input) {
        attach(input, null);
    }

    /** As {@link #attach(DataStream)}, with the bootstrap's seeds ({@code null}: none). */
    public void attach(DataStream<RawRecord> input, DataStream<RawRecord> seedInput) {
        Streams streams = wire(plan, input, maxValueBytes, seedInput);
        streams.increments.sinkTo(incrementSink).uid(UID_INCREMENT_SINK).name("increments");
        streams.deadLetters.sinkTo(deadLetterSink).uid(UID_DLQ_SINK).name("dead letters");
        if (storeSink != null) {
            // One writer: DuckDB is single-writer, and one writer applies every sample's rows in order.
            streams.stamped.sinkTo(storeSink).uid(UID_STORE_SINK).name("store").setParallelism(1);
        }
    }

    /** The job's streams before any sink. */
    public record Streams(DataStream<StampedRow> stamped, DataStream<DeadLetter> deadLetters,
            DataStream<IncrementRecord> increments) {}

    public static Streams wire(StreamPlan plan, DataStream<RawRecord> input, int maxValueBytes) {
        return wire(plan, input, maxValueBytes, null);
    }

    /** The job's streams; {@code seedInput}, when given, bootstraps the keyed state ({@link #bootstrap}). */
    public static Streams wire(StreamPlan plan, DataStream<RawRecord> input, int maxValueBytes,
            DataStream<RawRecord> seedInput) {
        SingleOutputStreamOperator<StampedRow> stamped = input
                .process(new ParseFunction(new RowParser(plan, maxValueBytes)), StampedRow.TYPE)
                .uid(UID_PARSE).name("parse, validate, stamp");
        DataStream<DeadLetter> deadLetters = stamped.getSideOutput(ParseFunction.DEAD_LETTERS);
        SingleOutputStreamOperator<RoutedEvent> routed = stamped
                .process(new RouteFunction(plan), RoutedEvent.TYPE)
                .uid(UID_ROUTE).name("route to feature and children");
        // Rows that join a group by an ordinary column pass the assigner, keyed by the row, which
        // sends moves and deletes to the group the row leaves.
        DataStream<RoutedEvent> memberInput = routed.getSideOutput(RouteFunction.MEMBERS);
        DataStream<RoutedEvent> direct = routed;
        String seedId = null;
        if (seedInput != null) {
            // Seeds never reach the store sink (they came from the store); bad rows go to the DLQ.
            seedId = StoreSeedSource.uid(plan);
            SingleOutputStreamOperator<StampedRow> seedStamped = seedInput
                    .process(new ParseFunction(new RowParser(plan, maxValueBytes)), StampedRow.TYPE)
                    .uid(seedId + "-parse").name("parse seeds").setParallelism(1);
            deadLetters = deadLetters.union(seedStamped.getSideOutput(ParseFunction.DEAD_LETTERS));
            SingleOutputStreamOperator<RoutedEvent> seedRouted = seedStamped
                    .process(new RouteFunction(plan), RoutedEvent.TYPE)
                    .uid(seedId + "-route").name("route seeds").setParallelism(1);
            memberInput = memberInput.union(seedRouted.getSideOutput(RouteFunction.MEMBERS));
            direct = direct.union(seedRouted);
        }
        DataStream<RoutedEvent> keyed = direct;
        // Without 1:N or N:1 lineage no row joins a group: no assigner, so no keyed state of its
        // own to snapshot at every checkpoint (its RocksDB snapshot took as long as the increment
        // operator's, measured) and no second input for the increment operator to align.
        if (plan.routesMembers()) {
            DataStream<RoutedEvent> members = memberInput
                    .keyBy(RoutedEvent::memberKey, SampleKey.TYPE)
                    .process(new GroupAssignFunction(plan), RoutedEvent.TYPE)
                    .uid(GroupAssignFunction.UID).name("assign groups");
            keyed = direct.union(members);
        }
        DataStream<IncrementRecord> increments = keyed
                .keyBy(RoutedEvent::key, SampleKey.TYPE)
                .transform("increments", TypeInformation.of(IncrementRecord.class), new IncrementOperator(plan, seedId))
                .uid(IncrementOperator.UID);
        return new Streams(stamped, deadLetters, increments);
    }

    /**
     * Checkpointing (exactly-once, {@code interval}), RocksDB with incremental checkpoints under
     * {@code checkpointDir} (a URI), restarts on failure, and no Kryo fallback for records.
     */
    public static Configuration configuration(Duration interval, String checkpointDir) {
        return configuration(interval, checkpointDir, io.metaxy.flink.stream.kafka.Delivery.EXACTLY_ONCE);
    }

    /**
     * As {@link #configuration(Duration, String)}; at-least-once delivery also checkpoints
     * without aligning barriers, so no input waits for a checkpoint (a replay after a failure may
     * repeat increments, which that mode allows).
     */
    public static Configuration configuration(Duration interval, String checkpointDir,
            io.metaxy.flink.stream.kafka.Delivery delivery) {
        Configuration c = new Configuration();
        c.setString("state.backend.type", "rocksdb");
        c.setString("execution.checkpointing.incremental", "true");
        // Most lookups are for samples not seen yet: bloom filters spare RocksDB a scan of every level.
        c.setString("state.backend.rocksdb.use-bloom-filter", "true");
        // Every checkpoint flushes a memtable into L0, and the keys (ids as JSON text) spread over
        // the whole key space, so each L0 -> L1 compaction rewrites all of L1: with RocksDB's
        // 256 MB level base that was ~180 MB per compaction at 10M samples, L0 piled up to the
        // write-stall trigger and checkpoints waited seconds in their flush. Small levels keep
        // each compaction small (measured at 10M: BENCHMARKS.md, session 4).
        c.setString("state.backend.rocksdb.compaction.level.max-size-level-base", "32mb");
        c.setString("state.backend.rocksdb.compaction.level.target-file-size-base", "8mb");
        c.setString("state.backend.rocksdb.options-factory", StateCompactionOptions.class.getName());
        c.setString("execution.checkpointing.interval", interval.toMillis() + " ms");
        c.setString("execution.checkpointing.mode",
                delivery == io.metaxy.flink.stream.kafka.Delivery.AT_LEAST_ONCE ? "AT_LEAST_ONCE" : "EXACTLY_ONCE");
        c.setString("execution.checkpointing.min-pause", Math.min(200, interval.toMillis() / 2) + " ms");
        if (delivery == io.metaxy.flink.stream.kafka.Delivery.AT_LEAST_ONCE) {
            // Increments are readable as soon as they are sent, so a record's wait in a part-filled
            // network buffer (Flink's default flush is every 100 ms, per keyed hop) is its
            // freshness. Exactly-once needs no such flush: each checkpoint barrier flushes the
            // buffers ahead of it, and increments are readable only once the checkpoint completes.
            c.setString("execution.buffer-timeout.interval", "5 ms");
        }
        if (checkpointDir != null) {
            c.setString("execution.checkpointing.dir", checkpointDir);
            stateChangelog(c, checkpointDir);
        }
        c.setString("restart-strategy.type", "fixed-delay");
        c.setString("restart-strategy.fixed-delay.attempts", "1000");
        c.setString("restart-strategy.fixed-delay.delay", "1 s");
        c.setString("pipeline.generic-types", "false");
        // No deep copy of every record between chained operators: no function of the job keeps or
        // changes a record it was handed (each emits new records; the store sink's writer buffers
        // the stamped rows, which nothing downstream of the parse changes).
        c.setString("pipeline.object-reuse", "true");
        c.setString("metrics.latency.interval", "0");
        return c;
    }

    /**
     * How often the state changelog is folded into RocksDB (a materialization, in the background):
     * a restore replays the changes since the last one, ~3.5 us each (1M samples' 2M changes took
     * 7.7 s with Flink's 10-minute default), so this bounds the replay to ~20 s of traffic.
     */
    public static final Duration CHANGELOG_MATERIALIZATION = Duration.ofSeconds(20);

    /** flink-dstl-dfs's {@code FsStateChangelogOptions.BASE_PATH}, by key: a cluster job jar does not bundle that module. */
    static final ConfigOption<String> CHANGELOG_BASE_PATH = ConfigOptions.key("state.changelog.dstl.dfs.base-path")
            .stringType().noDefaultValue();

    /**
     * Flink's generalized incremental checkpoints (the state changelog), unless {@code c} turned
     * them off ({@code state.changelog.enabled: false}), with what they need unless {@code c} sets
     * it: the log under {@code checkpointDir/changelog}, a materialization every
     * {@link #CHANGELOG_MATERIALIZATION}, and restores that claim their checkpoint (NO_CLAIM needs
     * a full snapshot the changelog cannot take; the job then owns a restored checkpoint or
     * savepoint, as its own, and may delete it once a newer one subsumes it; see
     * {@link #restoreFrom}).
     *
     * <p>A checkpoint then persists the state changes since the last one instead of RocksDB's
     * native checkpoint, whose memtable flush ran in the increment operator's task and put an L0
     * file into RocksDB every second. Measured at 1M samples (BENCHMARKS.md, session 11): the
     * operator's synchronous part 72 -> 7-11 ms, checkpoints' median 136 -> 72 ms, 21.2k ->
     * 30-50k samples/s with the store on.
     *
     * <pre>{@code
     * Configuration c = IncrementJob.configuration(Duration.ofSeconds(1), null);
     * IncrementJob.stateChangelog(c, "file:///tmp/metaxy-checkpoints");
     * }</pre>
     */
    public static void stateChangelog(Configuration c, String checkpointDir) {
        if (c.contains(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG) && !c.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)) {
            return;
        }
        c.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, true);
        if (!c.contains(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE)) {
            c.set(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE, "filesystem");
        }
        if (!c.contains(CHANGELOG_BASE_PATH)) {
            c.set(CHANGELOG_BASE_PATH, checkpointDir.replaceAll("/+$", "") + "/changelog");
        }
        if (!c.contains(StateChangelogOptions.PERIODIC_MATERIALIZATION_INTERVAL)) {
            c.set(StateChangelogOptions.PERIODIC_MATERIALIZATION_INTERVAL, CHANGELOG_MATERIALIZATION);
        }
        if (!c.contains(StateRecoveryOptions.RESTORE_MODE)) {
            // A changelog checkpoint or savepoint cannot be restored without claiming it (NO_CLAIM
            // needs a full snapshot the changelog cannot take): the job then owns it, as its own
            // checkpoints, and may delete it once a newer one subsumes it.
            c.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
        }
    }

    /**
     * Restore settings for a job graph from {@code path} in the claim mode {@code config} names:
     * {@code SavepointRestoreSettings.forPath(path)} alone would restore in NO_CLAIM, which a job
     * on the state changelog cannot.
     *
     * <pre>{@code
     * streamGraph.setSavepointRestoreSettings(IncrementJob.restoreFrom(savepoint, false, env.getConfiguration()));
     * }</pre>
     */
    public static SavepointRestoreSettings restoreFrom(String path, boolean allowNonRestoredState, ReadableConfig config) {
        return SavepointRestoreSettings.forPath(path, allowNonRestoredState, config.get(StateRecoveryOptions.RESTORE_MODE));
    }
}
