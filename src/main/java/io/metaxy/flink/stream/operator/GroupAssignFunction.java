package io.metaxy.flink.stream.operator;

import io.metaxy.flink.stream.RoutedEvent;
import io.metaxy.flink.stream.RowOp;
import io.metaxy.flink.stream.SampleKey;
import io.metaxy.flink.stream.StreamPlan;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Settles which group a member row belongs to (a 1:N child, grouped by its {@code on} columns; a
 * parent row of an N:1 dep, grouped by the child's {@code on} columns). Keyed by the row itself
 * ({@link RoutedEvent#memberKey()}), it remembers per target feature the row's group under each
 * of at most two feature versions, as the increment operator keeps rows ({@link VersionedRows}):
 *
 * <ul>
 *   <li>a write whose group differs from the one remembered for its version first leaves the old
 *       group (a removal of that version's row there), then joins the new one: both groups change;</li>
 *   <li>a soft delete goes to the group remembered for its version (or the one its row names);</li>
 *   <li>a hard delete, a tombstone carrying only the ids, goes to every group remembered.</li>
 * </ul>
 *
 * <p>A bootstrap seed ({@link RoutedEvent#seed}, a row read from the store) counts only where
 * nothing is remembered for its version: a row from Kafka is newer than the store's and wins.
 */
public final class GroupAssignFunction extends KeyedProcessFunction<SampleKey, RoutedEvent, RoutedEvent> {
    private static final long serialVersionUID = 1L;
    public static final String UID = "metaxy-group-assign";
    /** Target feature → [version, group ids JSON] pairs, the most recent first. */
    public static final MapStateDescriptor<String, String[]> GROUPS = new MapStateDescriptor<>("metaxy-member-groups",
            Types.STRING, BasicArrayTypeInfo.STRING_ARRAY_TYPE_INFO);

    private final StreamPlan plan;
    private transient MapState<String, String[]> groups;

    public GroupAssignFunction(StreamPlan plan) {
        this.plan = plan;
    }

    @Override
    public void open(OpenContext context) {
        groups = getRuntimeContext().getMapState(GROUPS);
    }

    @Override
    public void processElement(RoutedEvent e, Context ctx, Collector<RoutedEvent> out) throws Exception {
        String[] remembered = groups.get(e.target);
        if (e.seed && (e.op != RowOp.UPSERT || groupOf(remembered, e.featureVersion) != null)) {
            return;
        }
        switch (e.op) {
            case UPSERT -> {
                String old = groupOf(remembered, e.featureVersion);
                if (old != null && !old.equals(e.idsJson)) {
                    RoutedEvent leave = e.copy();
                    leave.op = RowOp.SOFT_DELETE;
                    leave.idsJson = old;
                    out.collect(leave);
                }
                groups.put(e.target, remember(remembered, e.featureVersion, e.idsJson,
                        plan.feature(e.source).featureVersion));
                out.collect(e);
            }
            case SOFT_DELETE -> {
                String group = groupOf(remembered, e.featureVersion);
                if (group != null) {
                    e.idsJson = group;
                }
                if (e.idsJson != null) {
                    out.collect(e);
                }
                String[] rest = forget(remembered, e.featureVersion);
                if (rest == null) {
                    groups.remove(e.target);
                } else {
                    groups.put(e.target, rest);
                }
            }
            case HARD_DELETE -> {
                Set<String> all = new LinkedHashSet<>();
                for (int i = 0; remembered != null && i < remembered.length; i += 2) {
                    all.add(remembered[i + 1]);
                }
                for (String group : all) {
                    RoutedEvent delete = e.copy();
                    delete.idsJson = group;
                    out.collect(delete);
                }
                groups.remove(e.target);
            }
        }
    }

    static String groupOf(String[] remembered, String version) {
        for (int i = 0; remembered != null && i < remembered.length; i += 2) {
            if (remembered[i].equals(version)) {
                return remembered[i + 1];
            }
        }
        return null;
    }

    /** The pairs with {@code version → group} first; a third version evicts the oldest that is not {@code current}. */
    static String[] remember(String[] remembered, String version, String group, String current) {
        List<String> kept = new ArrayList<>(List.of(version, group));
        for (int i = 0; remembered != null && i < remembered.length; i += 2) {
            if (!remembered[i].equals(version)) {
                kept.add(remembered[i]);
                kept.add(remembered[i + 1]);
            }
        }
        for (int i = kept.size() - 2; kept.size() > 2 * VersionedRows.MAX_VERSIONS && i > 0; i -= 2) {
            if (!kept.get(i).equals(current)) {
                kept.remove(i + 1);
                kept.remove(i);
            }
        }
        return kept.toArray(new String[0]);
    }

    static String[] forget(String[] remembered, String version) {
        List<String> kept = new ArrayList<>();
        for (int i = 0; remembered != null && i < remembered.length; i += 2) {
            if (!remembered[i].equals(version)) {
                kept.add(remembered[i]);
                kept.add(remembered[i + 1]);
            }
        }
        return kept.isEmpty() ? null : kept.toArray(new String[0]);
    }
}
