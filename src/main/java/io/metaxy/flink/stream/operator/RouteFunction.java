package io.metaxy.flink.stream.operator;

import io.metaxy.flink.stream.RoutedEvent;
import io.metaxy.flink.stream.RowParser;
import io.metaxy.flink.stream.StampedRow;
import io.metaxy.flink.stream.StreamPlan;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * Sends a row to its own feature's state (as a recorded write) and to each child feature (as
 * parent input), whatever its feature version: the operator counts only rows of the current
 * version, but keeps those of one other version for a redeploy that makes it current.
 */
public final class RouteFunction implements FlatMapFunction<StampedRow, RoutedEvent> {
    private static final long serialVersionUID = 1L;
    private final StreamPlan plan;

    public RouteFunction(StreamPlan plan) {
        this.plan = plan;
    }

    @Override
    public void flatMap(StampedRow row, Collector<RoutedEvent> out) {
        StreamPlan.Feature feature = plan.feature(row.feature);
        if (!feature.isRoot() && feature.incremental) {
            RoutedEvent self = base(row);
            self.target = row.feature;
            self.depIndex = RoutedEvent.SELF;
            if (feature.expansion) {
                self.idsJson = RowParser.projectIds(row.idsJson, java.util.Map.of(), feature.grain);
                self.memberIdsJson = row.idsJson;
            } else {
                self.idsJson = row.idsJson;
            }
            self.key = RoutedEvent.keyOf(row.feature, self.idsJson);
            self.provenance = row.provenance;
            out.collect(self);
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
            if (dep.isAggregation()) {
                e.idsJson = RowParser.projectIds(row.idsJson, dep.rename, dep.on);
                e.memberIdsJson = row.idsJson;
            } else if (dep.isExpansion()) {
                e.idsJson = RowParser.projectIds(row.idsJson, dep.rename, dep.on);
                e.columnsJson = RowParser.selectColumns(row.columnsJson, dep.select, dep.rename);
            } else {
                e.idsJson = RowParser.renameIds(row.idsJson, dep.rename);
                e.columnsJson = RowParser.selectColumns(row.columnsJson, dep.select, dep.rename);
            }
            e.key = RoutedEvent.keyOf(link.child(), e.idsJson);
            e.dataVersionByField = row.dataVersionByField;
            out.collect(e);
        }
    }

    private static RoutedEvent base(StampedRow row) {
        RoutedEvent e = new RoutedEvent();
        e.op = row.op;
        e.featureVersion = row.featureVersion;
        e.topic = row.topic;
        e.partition = row.partition;
        e.offset = row.offset;
        return e;
    }
}
