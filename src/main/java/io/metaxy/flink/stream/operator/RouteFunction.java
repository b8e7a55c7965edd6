package io.metaxy.flink.stream.operator;

import io.metaxy.flink.stream.RoutedEvent;
import io.metaxy.flink.stream.RowOp;
import io.metaxy.flink.stream.RowParser;
import io.metaxy.flink.stream.StampedRow;
import io.metaxy.flink.stream.StreamPlan;
import java.util.function.Consumer;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends a row to its own feature's state (as a recorded write) and to each child feature (as
 * parent input), whatever its feature version: the operator counts only rows of the current
 * version, but keeps those of one other version for a redeploy that makes it current.
 *
 * <p>Rows that belong to a group by the value of ordinary columns (a 1:N feature's own rows,
 * grouped by its {@code on} columns; a parent's rows for an N:1 child, grouped by the child's
 * {@code on} columns) go to the side output {@link #MEMBERS} with the group their row names (none
 * for a delete): the {@link GroupAssignFunction} settles the group.
 */
public final class RouteFunction extends ProcessFunction<StampedRow, RoutedEvent> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<RoutedEvent> MEMBERS = new OutputTag<>("metaxy-members", RoutedEvent.TYPE);
    private final StreamPlan plan;

    public RouteFunction(StreamPlan plan) {
        this.plan = plan;
    }

    @Override
    public void processElement(StampedRow row, Context ctx, Collector<RoutedEvent> out) {
        route(row, e -> {
            if (e.member) {
                ctx.output(MEMBERS, e);
            } else {
                out.collect(e);
            }
        });
    }

    /** Every event of {@code row}, members and direct ones alike. */
    public void route(StampedRow row, Consumer<RoutedEvent> out) {
        StreamPlan.Feature feature = plan.feature(row.feature);
        if (!feature.isRoot() && feature.incremental) {
            RoutedEvent self = base(row);
            self.target = row.feature;
            self.depIndex = RoutedEvent.SELF;
            if (feature.expansion) {
                self.member = true;
                self.memberIdsJson = row.idsJson();
                self.idsJson = RowParser.groupIds(row.idsJson(), row.columnsJson(), feature.grain, feature.grain);
            } else {
                self.idsJson = row.idsJson();
            }
            self.provenance = row.provenance;
            out.accept(self);
        }
        for (StreamPlan.ChildLink link : feature.children) {
            StreamPlan.Feature child = plan.feature(link.child());
            if (!child.incremental) {
                continue;
            }
            StreamPlan.Dep dep = child.deps.get(link.depIndex());
            RoutedEvent e = base(row);
            e.target = link.child();
            e.depIndex = link.depIndex();
            e.columnsJson = RowParser.selectColumns(row.columnsJson(), dep.select, dep.rename);
            if (dep.isAggregation()) {
                e.member = true;
                e.memberIdsJson = row.idsJson();
                e.idsJson = RowParser.groupIds(row.idsJson(), row.columnsJson(), dep.groupColumns, dep.on);
            } else if (dep.isExpansion()) {
                e.idsJson = RowParser.projectIds(row.idsJson(), dep.rename, dep.on);
            } else {
                e.idsJson = RowParser.renameIds(row.idsJson(), dep.rename);
            }
            e.dataVersionByField = row.dataVersionByField;
            if (e.op == RowOp.UPSERT && dep.filtered
                    && !dep.filter.matches(RowParser.renamedRow(row.idsJson(), row.columnsJson(), dep.rename))) {
                // Filtered out: for this dep the row is absent, as if its version's row were
                // deleted; a row that starts matching again arrives as a write.
                e.op = RowOp.SOFT_DELETE;
            }
            out.accept(e);
        }
    }

    private static RoutedEvent base(StampedRow row) {
        RoutedEvent e = new RoutedEvent();
        e.op = row.op;
        e.source = row.feature;
        e.featureVersion = row.featureVersion;
        e.topic = row.topic;
        e.partition = row.partition;
        e.offset = row.offset;
        e.seed = row.seed;
        return e;
    }
}
