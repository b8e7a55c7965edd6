package io.metaxy.flink.benchmarks;

import io.metaxy.flink.stream.RoutedEvent;
import io.metaxy.flink.stream.RowOp;
import io.metaxy.flink.stream.SampleKey;
import io.metaxy.flink.stream.StampedRow;
import io.metaxy.flink.stream.operator.ChildSummary;
import io.metaxy.flink.stream.operator.GroupAssignFunction;
import io.metaxy.flink.stream.operator.IncrementOperator;
import io.metaxy.flink.stream.operator.MemberGroup;
import io.metaxy.flink.stream.operator.SampleState;
import io.metaxy.flink.versioning.SampleHasher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The job's keyed-state serializers (taken from the operators' state descriptors, so this measures
 * what RocksDB is handed) and the record serializers on the hot path (parse → route → keyBy):
 * serialize and deserialize, ns per value, and the serialized size of each value, printed once
 * per case by {@link #setUp} as a {@code [bytes]} line.
 *
 * <p>Values are shaped like the harness's graphs ({@code bench/graphs}): <b>simple</b> (one
 * parent with fields audio and frames), <b>wide</b> (two parents × four fields) and an N:1 group
 * of ten members, with 8-character xxhash32 versions and ids {@code {"sample_uid":N}}. Each case
 * cycles through 256 distinct values.
 *
 * <pre>
 * mvn -q test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *     -Dexec.args="-cp %classpath org.openjdk.jmh.Main StateSerializerBenchmark -f 1 -wi 5 -w 1s -i 5 -r 1s -jvmArgsAppend -Xbatch"
 * </pre>
 *
 * One case alone: append {@code -p value=sample.simple}. Five one-second warm-ups and
 * {@code -Xbatch} (compile in the foreground) rather than three: on the shared 2-core machine
 * three left some forks measuring interpreted code. Results, and how the bytes compare with the
 * harness's {@code state.bytes_per_sample_parent}: bench/jmh-state.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
public class StateSerializerBenchmark {
    private static final int VALUES = 256;
    private static final SampleHasher HASH = SampleHasher.DEFAULT;
    /** Feature versions: 8-character hashes, one per feature. */
    private static final String LEAF_VERSION = HASH.hash("bench/leaf");
    private static final String PARENT_VERSION = HASH.hash("bench/video");
    /** What the parser stores for a row without user columns, and the route passes on. */
    private static final String NO_COLUMNS = "{}";

    /**
     * {@code <serializer>.<shape>}: {@code sample.*} is {@code metaxy-sample}
     * ({@link IncrementOperator#SAMPLE_STATE}) — answered (parent rows and the leaf's own record)
     * or announced (parent rows and an outstanding {@code new}); {@code members.group10} is
     * {@code metaxy-members}; {@code groups.member} is {@code metaxy-member-groups}
     * ({@link GroupAssignFunction#GROUPS}); {@code children.1n} / {@code childSummary.1n} are a
     * 1:N child's rows and its parent's counts; the rest are records between operators.
     */
    @Param({"sample.simple", "sample.simple.announced", "sample.wide", "sample.group10", "members.group10",
            "groups.member", "children.1n", "childSummary.1n", "sampleKey.simple", "stampedRow.simple",
            "stampedRow.wide", "routedEvent.simple", "routedEvent.wide", "routedEvent.member"})
    public String value;

    private TypeSerializer<Object> serializer;
    private Object[] values;
    private byte[][] serialized;
    private final DataOutputSerializer out = new DataOutputSerializer(4096);
    private final DataInputDeserializer in = new DataInputDeserializer();
    private int next;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() throws IOException {
        IntFunction<Object> make = switch (value) {
            case "sample.simple" -> i -> answered(i, 1, 2);
            case "sample.simple.announced" -> i -> announced(i);
            case "sample.wide" -> i -> answered(i, 2, 4);
            case "sample.group10" -> i -> groupKey(i);
            case "members.group10" -> i -> members(i, 10);
            case "groups.member" -> i -> new String[] {LEAF_VERSION, "{\"group_id\":" + i / 10 + "}"};
            case "children.1n" -> i -> new SampleState.Parent[] {SampleState.ownRow(LEAF_VERSION, hash("child", i))};
            case "childSummary.1n" -> i -> childSummary(i, 10);
            case "sampleKey.simple" -> i -> new SampleKey("bench/leaf", ids(i));
            case "stampedRow.simple" -> i -> stampedRow(i, 2);
            case "stampedRow.wide" -> i -> stampedRow(i, 4);
            case "routedEvent.simple" -> i -> routedEvent(i, 2, false);
            case "routedEvent.wide" -> i -> routedEvent(i, 4, false);
            case "routedEvent.member" -> i -> routedEvent(i, 2, true);
            default -> throw new IllegalArgumentException("unknown case '" + value + "'");
        };
        serializer = (TypeSerializer<Object>) serializerOf(value.substring(0, value.indexOf('.')));
        values = new Object[VALUES];
        serialized = new byte[VALUES][];
        long total = 0;
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (int i = 0; i < VALUES; i++) {
            values[i] = make.apply(100_000 + i);
            out.clear();
            serializer.serialize(values[i], out);
            serialized[i] = out.getCopyOfBuffer();
            // A case whose value does not survive the round trip would measure a broken serializer.
            in.setBuffer(serialized[i]);
            Object back = serializer.deserialize(in);
            out.clear();
            serializer.serialize(back, out);
            if (!Arrays.equals(serialized[i], out.getCopyOfBuffer())) {
                throw new IllegalStateException(value + ": value " + i + " changes in a serialize/deserialize round trip");
            }
            total += serialized[i].length;
            min = Math.min(min, serialized[i].length);
            max = Math.max(max, serialized[i].length);
        }
        String key = "";
        if (value.startsWith("sample.")) {
            out.clear();
            SampleKey.Serializer.INSTANCE.serialize(new SampleKey("bench/leaf", ids(100_000)), out);
            key = ", key (SampleKey) " + out.length() + " B";
        }
        System.out.printf("%n[bytes] %s: %.1f B per value (min %d, max %d)%s%n", value, (double) total / VALUES, min, max,
                key);
    }

    @Benchmark
    public int serialize() throws IOException {
        out.clear();
        serializer.serialize(values[next++ & (VALUES - 1)], out);
        return out.length();
    }

    @Benchmark
    public Object deserialize() throws IOException {
        in.setBuffer(serialized[next++ & (VALUES - 1)]);
        return serializer.deserialize(in);
    }

    /** The serializer the job uses: from the state descriptor, or the record type's information. */
    private static TypeSerializer<?> serializerOf(String name) {
        return switch (name) {
            case "sample" -> IncrementOperator.SAMPLE_STATE.getSerializer();
            case "members" -> IncrementOperator.MEMBERS_STATE.getValueSerializer();
            case "groups" -> {
                // Built from type information: resolved against a config, as the state backend does.
                GroupAssignFunction.GROUPS.initializeSerializerUnlessSet(new ExecutionConfig());
                yield GroupAssignFunction.GROUPS.getValueSerializer();
            }
            case "children" -> IncrementOperator.CHILDREN_STATE.getValueSerializer();
            case "childSummary" -> IncrementOperator.CHILD_SUMMARY_STATE.getSerializer();
            case "sampleKey" -> SampleKey.TYPE.createSerializer(new SerializerConfigImpl());
            case "stampedRow" -> StampedRow.TYPE.createSerializer(new SerializerConfigImpl());
            case "routedEvent" -> RoutedEvent.TYPE.createSerializer(new SerializerConfigImpl());
            default -> throw new IllegalArgumentException("unknown serializer '" + name + "'");
        };
    }

    private static String hash(String what, int i) {
        return HASH.hash(what + i);
    }

    private static String ids(int i) {
        return "{\"sample_uid\":" + i + "}";
    }

    private static String[] versions(String parent, int i, int fields) {
        String[] v = new String[fields];
        for (int f = 0; f < fields; f++) {
            v[f] = hash(parent + "/field_" + f + "/", i);
        }
        return v;
    }

    /** A parent slot as the operator writes it: the row's version, data versions and the routed columns. */
    private static SampleState.Parent[] parentRows(String parent, int i, int fields) {
        return new SampleState.Parent[] {new SampleState.Parent(PARENT_VERSION, versions(parent, i, fields),
                NO_COLUMNS.getBytes(StandardCharsets.UTF_8))};
    }

    /** A 1:1 sample whose increment was answered: every parent's row and the leaf's own record. */
    private static SampleState answered(int i, int parents, int fields) {
        SampleState s = new SampleState(parents);
        for (int p = 0; p < parents; p++) {
            s.parents[p] = parentRows("parent_" + p, i, fields);
        }
        s.own = new SampleState.Parent[] {SampleState.ownRow(LEAF_VERSION, hash("leaf", i))};
        return s;
    }

    /** A 1:1 sample of the simple graph announced {@code new} and not answered yet. */
    private static SampleState announced(int i) {
        SampleState s = new SampleState(1);
        s.parents[0] = parentRows("parent_0", i, 2);
        s.announcedKind = SampleState.NEW;
        s.announcedProvenance = hash("leaf", i);
        return s;
    }

    /** An N:1 child's key: the group's folded row (no columns), its own record, ten members held elsewhere. */
    private static SampleState groupKey(int i) {
        SampleState s = new SampleState(1);
        s.parents[0] = new SampleState.Parent[] {new SampleState.Parent(PARENT_VERSION, versions("fold", i, 2), null)};
        s.own = new SampleState.Parent[] {SampleState.ownRow(LEAF_VERSION, hash("leaf", i))};
        s.groupRows = 10;
        return s;
    }

    /** The members of one group, each a simple-graph parent row, ids {@code sample_uid} (a long). */
    private static MemberGroup members(int i, int n) {
        MemberGroup g = MemberGroup.EMPTY;
        for (int m = 0; m < n; m++) {
            long uid = (long) i * n + m;
            g = g.with(ids((int) uid), new Object[] {uid}, parentRows("member", (int) uid, 2));
        }
        return g;
    }

    /** A 1:N parent with {@code n} children written with the same provenance (the worker's usual case). */
    private static ChildSummary childSummary(int i, int n) {
        ChildSummary s = new ChildSummary();
        s.add(LEAF_VERSION, hash("collapse", i), n);
        return s;
    }

    /** A root row as the parser stamps it: no user columns, data versions = provenance. */
    private static StampedRow stampedRow(int i, int fields) {
        StampedRow r = new StampedRow();
        r.feature = fields == 2 ? "bench/video" : "bench/left";
        r.idsJson(ids(i));
        r.op = RowOp.UPSERT;
        r.columnsJson(NO_COLUMNS);
        r.provenanceByField = versions(r.feature, i, fields);
        r.provenance = hash("prov", i);
        r.dataVersionByField = r.provenanceByField;
        r.dataVersion = r.provenance;
        r.featureVersion = PARENT_VERSION;
        r.createdAt = 1_796_000_000_000L + i;
        r.updatedAt = r.createdAt;
        r.topic = "metaxy." + r.feature.replace("/", "__");
        r.partition = i & 1;
        r.offset = 10L * i;
        return r;
    }

    /** That row routed to the leaf (dep 0); a member also carries its own ids and the group's. */
    private static RoutedEvent routedEvent(int i, int fields, boolean member) {
        StampedRow row = stampedRow(i, fields);
        RoutedEvent e = new RoutedEvent();
        e.target = fields == 2 ? "bench/leaf" : "bench/wide";
        e.depIndex = 0;
        e.op = row.op;
        e.source = row.feature;
        e.featureVersion = row.featureVersion;
        e.dataVersionByField = row.dataVersionByField;
        e.columnsJson = row.columnsJson();
        e.topic = row.topic;
        e.partition = row.partition;
        e.offset = row.offset;
        if (member) {
            e.member = true;
            e.memberIdsJson = row.idsJson();
            e.idsJson = "{\"group_id\":" + i / 10 + "}";
        } else {
            e.idsJson = row.idsJson();
        }
        return e;
    }
}
