package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.stream.operator.GroupAssignFunction;
import io.metaxy.flink.stream.operator.RouteFunction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The job has a group assigner exactly when some row joins a group: the plan's
 * {@code routesMembers()} agrees with what the route emits for one row of every feature, and the
 * built job has the assigner's uid exactly then.
 */
class JobShapeTest {
    static Stream<Arguments> graphs() {
        return Stream.of(Arguments.of("bench/graphs/simple.yaml", false), Arguments.of("bench/graphs/wide.yaml", false),
                Arguments.of("examples/overview.yaml", false), Arguments.of("examples/expansion.yaml", true),
                Arguments.of("examples/aggregation.yaml", true));
    }

    @ParameterizedTest
    @MethodSource("graphs")
    void theAssignerIsThereExactlyWhenRowsJoinGroups(String file, boolean expected) throws Exception {
        FeatureGraph graph = GraphReader.read(Path.of(file));
        StreamPlan plan = StreamPlan.of(graph);
        assertThat(plan.routesMembers()).as(file).isEqualTo(expected);
        assertThat(routesAnyMember(plan)).as("the route's member events for " + file).isEqualTo(expected);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<RawRecord> input = env.fromData(new RawRecord()).returns(RawRecord.class);
        IncrementJob.Streams streams = IncrementJob.wire(plan, input, RowParser.DEFAULT_MAX_VALUE_BYTES);
        List<String> uids = new ArrayList<>();
        collectUids(streams.increments().getTransformation(), uids);
        assertThat(uids).contains(io.metaxy.flink.stream.operator.IncrementOperator.UID);
        assertThat(uids.contains(GroupAssignFunction.UID)).as(file).isEqualTo(expected);
    }

    /** One write of every feature, with every id and column the graph names set. */
    private static boolean routesAnyMember(StreamPlan plan) {
        RouteFunction route = new RouteFunction(plan);
        boolean[] any = {false};
        for (StreamPlan.Feature f : plan.features()) {
            StampedRow row = new StampedRow();
            row.feature = f.key;
            row.op = RowOp.UPSERT;
            StringBuilder ids = new StringBuilder("{");
            for (String id : f.idColumns) {
                ids.append(ids.length() > 1 ? "," : "").append('"').append(id).append("\":1");
            }
            row.idsJson(ids.append('}').toString());
            row.columnsJson(columnsFor(plan));
            row.provenanceByField = new String[f.fields.size()];
            row.dataVersionByField = row.provenanceByField;
            route.route(row, e -> any[0] |= e.member);
        }
        return any[0];
    }

    /** Every id column of the graph as a user column too, so any group column a route reads is set. */
    private static String columnsFor(StreamPlan plan) {
        StringBuilder b = new StringBuilder("{");
        java.util.Set<String> seen = new java.util.TreeSet<>();
        for (StreamPlan.Feature f : plan.features()) {
            seen.addAll(f.idColumns);
            for (StreamPlan.Dep d : f.deps) {
                seen.addAll(d.on);
            }
        }
        for (String c : seen) {
            b.append(b.length() > 1 ? "," : "").append('"').append(c).append("\":1");
        }
        return b.append('}').toString();
    }

    private static void collectUids(Transformation<?> t, List<String> out) {
        if (t.getUid() != null) {
            out.add(t.getUid());
        }
        for (Transformation<?> input : t.getInputs()) {
            collectUids(input, out);
        }
    }
}
