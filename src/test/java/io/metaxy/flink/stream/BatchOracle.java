package io.metaxy.flink.stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaxy.flink.versioning.IdValueOrder;
import io.metaxy.flink.versioning.IncrementRules;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A straightforward batch resolve over the same rows the stream saw, as {@code resolveUpdate}
 * computes it: latest row per sample and feature under the current feature version (deletes
 * remove, soft deletes hide), group and join the parents at each feature's grain, compare with
 * the feature's rows. The decisions themselves are {@link IncrementRules}' (the one copy of the
 * rules); what this oracle does on its own is the bookkeeping the operator does incrementally:
 * which rows are current, which group a row is in (by the value of its {@code on} columns now),
 * and which rows a sample's parents are.
 */
final class BatchOracle {
    private BatchOracle() {}

    /**
     * The feature's recorded rows per grain key: per sample its provenance, or for a 1:N feature
     * its children grouped by their {@code on} columns and collapsed.
     */
    static Map<String, IncrementRules.Recorded> recorded(StreamPlan.Feature f, Map<String, StampedRow> rows) {
        Map<String, IncrementRules.Recorded> out = new HashMap<>();
        if (!f.expansion) {
            rows.forEach((ids, r) -> out.put(ids, IncrementRules.Recorded.of(r.provenance)));
            return out;
        }
        Map<String, List<String>> groups = new HashMap<>();
        rows.values().forEach(r -> groups.computeIfAbsent(group(r, f.grain, f.grain), k -> new ArrayList<>()).add(r.provenance));
        groups.forEach((g, p) -> out.put(g, IncrementRules.collapse(p)));
        return out;
    }

    /** The group a row is in now: its {@code columns} (ids first, then user columns) named {@code names}. */
    static String group(StampedRow r, List<String> columns, List<String> names) {
        JsonNode ids = read(r.idsJson());
        JsonNode user = r.columnsJson() == null ? null : read(r.columnsJson());
        TreeMap<String, JsonNode> out = new TreeMap<>();
        for (int i = 0; i < columns.size(); i++) {
            JsonNode v = ids.has(columns.get(i)) ? ids.get(columns.get(i)) : user.get(columns.get(i));
            out.put(names.get(i), v);
        }
        com.fasterxml.jackson.databind.node.ObjectNode node = HarnessDriver.JSON.createObjectNode();
        out.forEach(node::set);
        return RowParser.canonical(node);
    }

    /** The group's data versions: members sorted by their id values, folded per field. */
    private static String[] fold(StreamPlan.Feature f, StreamPlan.Dep dep, List<StampedRow> members) {
        List<StampedRow> sorted = new ArrayList<>(members);
        sorted.sort((a, b) -> {
            JsonNode x = read(a.idsJson());
            JsonNode y = read(b.idsJson());
            for (String column : dep.parentIdColumns) {
                int c = IdValueOrder.INSTANCE.compare(value(x.get(column)), value(y.get(column)));
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        });
        return IncrementRules.fold(f.rules.hasher(), sorted.stream().map(m -> m.dataVersionByField).toList());
    }

    private static Object value(JsonNode v) {
        return v.isNumber() ? v.numberValue() : v.asText();
    }

    static JsonNode read(String json) {
        try {
            return HarnessDriver.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** "feature ids" → "kind expectedProvenance" (null provenance for orphaned). */
    static Map<String, String> resolveAll(StreamPlan plan, Iterable<StampedRow> writes) {
        return resolve(plan, currentRows(plan, writes));
    }

    /** "feature ids" → the verdict of every sample that needs work. */
    static Map<String, IncrementRules.Verdict> verdicts(StreamPlan plan, Iterable<StampedRow> writes) {
        return verdicts(plan, currentRows(plan, writes));
    }

    /**
     * Feature → ids → the latest row of the feature's version in {@code plan}, as the store reads
     * it: rows of every version are kept, a hard delete removes all of the sample's rows, a soft
     * delete hides the row of its own version.
     */
    static Map<String, Map<String, StampedRow>> currentRows(StreamPlan plan, Iterable<StampedRow> writes) {
        Map<String, Map<String, StampedRow>> current = new HashMap<>();
        for (StreamPlan.Feature f : plan.features()) {
            Map<String, StampedRow> rows = rowsOfVersion(f.key, f.featureVersion, writes);
            if (!rows.isEmpty()) {
                current.put(f.key, rows);
            }
        }
        return current;
    }

    /** Ids → the latest live row of {@code feature} under {@code version}. */
    static Map<String, StampedRow> rowsOfVersion(String feature, String version, Iterable<StampedRow> writes) {
        Map<String, StampedRow> rows = new HashMap<>();
        for (StampedRow w : writes) {
            if (!w.feature.equals(feature)) {
                continue;
            }
            if (w.op == RowOp.HARD_DELETE) {
                rows.remove(w.idsJson());
            } else if (w.featureVersion.equals(version)) {
                if (w.op == RowOp.SOFT_DELETE) {
                    rows.remove(w.idsJson());
                } else {
                    rows.put(w.idsJson(), w);
                }
            }
        }
        return rows;
    }

    static Map<String, String> resolve(StreamPlan plan, Map<String, Map<String, StampedRow>> current) {
        Map<String, String> out = new TreeMap<>();
        verdicts(plan, current).forEach((sample, v) -> out.put(sample, v.kind().wire() + " " + v.expected()));
        return out;
    }

    static Map<String, IncrementRules.Verdict> verdicts(StreamPlan plan, Map<String, Map<String, StampedRow>> current) {
        Map<String, IncrementRules.Verdict> out = new TreeMap<>();
        for (StreamPlan.Feature f : plan.features()) {
            if (f.isRoot() || !f.incremental) {
                continue;
            }
            List<Map<String, String[]>> parents = parentsAtGrain(f, current);
            Map<String, IncrementRules.Recorded> own = recorded(f, current.getOrDefault(f.key, Map.of()));
            Set<String> candidates = new HashSet<>(own.keySet());
            parents.forEach(p -> candidates.addAll(p.keySet()));
            for (String ids : candidates) {
                String[][] versions = new String[f.deps.size()][];
                for (int d = 0; d < f.deps.size(); d++) {
                    versions[d] = parents.get(d).get(ids);
                }
                IncrementRules.Verdict v = f.rules.classify(versions, own.getOrDefault(ids, IncrementRules.Recorded.NONE));
                if (v.kind() != IncrementRules.Kind.NONE) {
                    out.put(f.key + " " + ids, v);
                }
            }
        }
        return out;
    }

    /** Per dep: grain ids → the parent's data versions there (N:1 groups folded). */
    static List<Map<String, String[]>> parentsAtGrain(StreamPlan.Feature f, Map<String, Map<String, StampedRow>> current) {
        List<Map<String, String[]>> parents = new ArrayList<>();
        for (StreamPlan.Dep dep : f.deps) {
            Map<String, StampedRow> rows = new HashMap<>(current.getOrDefault(dep.parent, Map.of()));
            // The dep's filters see the parent row after rename; rows they drop are absent here.
            rows.values().removeIf(r -> !dep.filter.matches(RowParser.renamedRow(r.idsJson(), r.columnsJson(), dep.rename)));
            Map<String, String[]> byChild = new HashMap<>();
            if (dep.isExpansion()) {
                rows.forEach((ids, r) -> byChild.put(RowParser.projectIds(ids, dep.rename, dep.on), r.dataVersionByField));
            } else if (dep.isAggregation()) {
                Map<String, List<StampedRow>> groups = new HashMap<>();
                rows.values().forEach(r -> groups.computeIfAbsent(group(r, dep.groupColumns, dep.on), k -> new ArrayList<>()).add(r));
                groups.forEach((group, members) -> byChild.put(group, fold(f, dep, members)));
            } else {
                rows.forEach((ids, r) -> byChild.put(RowParser.renameIds(ids, dep.rename), r.dataVersionByField));
            }
            parents.add(byChild);
        }
        return parents;
    }

    /**
     * "feature ids" → the expected provenance by field (in the feature's field order) of every
     * sample of a non-root feature whose required parents are present.
     */
    static Map<String, String[]> expectedByField(StreamPlan plan, Map<String, Map<String, StampedRow>> current) {
        Map<String, String[]> out = new TreeMap<>();
        for (StreamPlan.Feature f : plan.features()) {
            if (f.isRoot()) {
                continue;
            }
            List<Map<String, String[]>> parents = parentsAtGrain(f, current);
            Set<String> candidates = new HashSet<>();
            parents.forEach(p -> candidates.addAll(p.keySet()));
            for (String ids : candidates) {
                String[][] versions = new String[f.deps.size()][];
                for (int d = 0; d < f.deps.size(); d++) {
                    versions[d] = parents.get(d).get(ids);
                }
                IncrementRules.Verdict v = f.rules.classify(versions, IncrementRules.Recorded.NONE);
                if (v.expectedByField() != null) {
                    out.put(f.key + " " + ids, v.expectedByField());
                }
            }
        }
        return out;
    }
}
