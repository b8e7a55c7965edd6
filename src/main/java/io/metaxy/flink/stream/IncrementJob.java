package io.metaxy.flink.stream;

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
import org.apache.flink.configuration.Configuration;
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

    /** Adds the whole job to {@code env}. */
    public void build(StreamExecutionEnvironment env) {
        DataStream<RawRecord> input = env.fromSource(source, WatermarkStrategy.noWatermarks(), "feature topics")
                .uid(UID_SOURCE).name("feature topics");
        attach(input);
    }

    /** Adds everything downstream of the raw records (tests insert failure injection before it). */
    public void attach(DataStream<RawRecord> input) {
        Streams streams = wire(plan, input, maxValueBytes);
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
        SingleOutputStreamOperator<StampedRow> stamped = input
                .process(new ParseFunction(new RowParser(plan, maxValueBytes)), TypeInformation.of(StampedRow.class))
                .uid(UID_PARSE).name("parse, validate, stamp");
        DataStream<DeadLetter> deadLetters = stamped.getSideOutput(ParseFunction.DEAD_LETTERS);
        SingleOutputStreamOperator<RoutedEvent> routed = stamped
                .process(new RouteFunction(plan), RoutedEvent.TYPE)
                .uid(UID_ROUTE).name("route to feature and children");
        // Rows that join a group by an ordinary column pass the assigner, keyed by the row, which
        // sends moves and deletes to the group the row leaves.
        DataStream<RoutedEvent> members = routed.getSideOutput(RouteFunction.MEMBERS)
                .keyBy(RoutedEvent::memberKey, SampleKey.TYPE)
                .process(new GroupAssignFunction(plan), RoutedEvent.TYPE)
                .uid(GroupAssignFunction.UID).name("assign groups");
        DataStream<IncrementRecord> increments = routed.union(members)
                .keyBy(RoutedEvent::key, SampleKey.TYPE)
                .transform("increments", TypeInformation.of(IncrementRecord.class), new IncrementOperator(plan))
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
        c.setString("execution.checkpointing.interval", interval.toMillis() + " ms");
        c.setString("execution.checkpointing.mode",
                delivery == io.metaxy.flink.stream.kafka.Delivery.AT_LEAST_ONCE ? "AT_LEAST_ONCE" : "EXACTLY_ONCE");
        c.setString("execution.checkpointing.min-pause", Math.min(200, interval.toMillis() / 2) + " ms");
        if (checkpointDir != null) {
            c.setString("execution.checkpointing.dir", checkpointDir);
        }
        c.setString("restart-strategy.type", "fixed-delay");
        c.setString("restart-strategy.fixed-delay.attempts", "1000");
        c.setString("restart-strategy.fixed-delay.delay", "1 s");
        c.setString("pipeline.generic-types", "false");
        c.setString("metrics.latency.interval", "0");
        return c;
    }
}
