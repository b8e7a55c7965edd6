package io.metaxy.flink.stream;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A straightforward batch resolve over the same rows the stream saw, as {@code resolveUpdate}
 * computes it: latest row per sample and feature under the current feature version (deletes
 * remove, soft deletes hide), join the parents, compare with the feature's rows. The store's
 * {@code resolveUpdate} will replace this oracle.
 */
final class BatchOracle {
    private BatchOracle() {}

    /**
     * The feature's recorded provenance per grain key: per sample, or for a 1:N feature its
     * children collapsed per parent (their common provenance, or "min..max" when they differ).
     */
    static Map<String, String> recorded(StreamPlan.Feature f, Map<String, StampedRow> rows) {
        Map<String, String> out = new HashMap<>();
        if (!f.expansion) {
            rows.forEach((ids, r) -> out.put(ids, r.provenance));
            return out;
        }
        Map<String, java.util.TreeSet<String>> groups = new HashMap<>();
        rows.values().forEach(r -> groups.computeIfAbsent(RowParser.projectIds(r.idsJson, Map.of(), f.grain),
                k -> new java.util.TreeSet<>()).add(r.provenance));
        groups.forEach((g, p) -> out.put(g, p.size() == 1 ? p.first() : p.first() + ".." + p.last()));
        return out;
    }

    /** Members sorted by their id columns (numbers numerically), each field's versions joined and hashed. */
    private static String[] fold(StreamPlan.Feature f, StreamPlan.Dep dep, List<StampedRow> members) {
        List<StampedRow> sorted = new ArrayList<>(members);
        sorted.sort((a, b) -> {
            JsonNode x = read(a.idsJson);
            JsonNode y = read(b.idsJson);
            for (String column : dep.parentIdColumns) {
                JsonNode vx = x.get(column);
                JsonNode vy = y.get(column);
                int c = vx.isNumber() && vy.isNumber() ? vx.decimalValue().compareTo(vy.decimalValue())
                        : vx.asText().compareTo(vy.asText());
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        });
        String[] out = new String[sorted.get(0).dataVersionByField.length];
        for (int j = 0; j < out.length; j++) {
            List<String> versions = new ArrayList<>();
            for (StampedRow m : sorted) {
                versions.add(m.dataVersionByField[j]);
            }
            out[j] = f.calculator.hasher().hash(String.join("|", versions));
        }
        return out;
    }

    private static JsonNode read(String json) {
        try {
            return HarnessDriver.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** "feature ids" → "kind expectedProvenance" (null provenance for orphaned). */
    static Map<String, String> resolveAll(StreamPlan plan, Iterable<StampedRow> writes) {
        return resolve(plan, currentRows(writes));
    }

    /** Feature → ids → the latest current row (deletes remove, soft deletes hide). */
    static Map<String, Map<String, StampedRow>> currentRows(Iterable<StampedRow> writes) {
        Map<String, Map<String, StampedRow>> current = new HashMap<>();
        for (StampedRow w : writes) {
            if (!w.current) {
                continue;
            }
            Map<String, StampedRow> table = current.computeIfAbsent(w.feature, k -> new HashMap<>());
            if (w.op.isDelete()) {
                table.remove(w.idsJson);
            } else {
                table.put(w.idsJson, w);
            }
        }
        return current;
    }

    static Map<String, String> resolve(StreamPlan plan, Map<String, Map<String, StampedRow>> current) {
        Map<String, String> out = new TreeMap<>();
        for (StreamPlan.Feature f : plan.features()) {
            if (f.isRoot()) {
                continue;
            }
            Map<String, String> own = recorded(f, current.getOrDefault(f.key, Map.of()));
            // Per dep: child ids → the parent's data versions (N:1 groups folded first).
            List<Map<String, String[]>> parents = new ArrayList<>();
            for (StreamPlan.Dep dep : f.deps) {
                Map<String, StampedRow> rows = current.getOrDefault(dep.parent, Map.of());
                Map<String, String[]> byChild = new HashMap<>();
                if (dep.isExpansion()) {
                    rows.forEach((ids, r) -> byChild.put(RowParser.projectIds(ids, dep.rename, dep.on), r.dataVersionByField));
                } else if (dep.isAggregation()) {
                    Map<String, List<StampedRow>> groups = new HashMap<>();
                    rows.values().forEach(r -> groups.computeIfAbsent(RowParser.projectIds(r.idsJson, dep.rename, dep.on),
                            k -> new ArrayList<>()).add(r));
                    groups.forEach((group, members) -> byChild.put(group, fold(f, dep, members)));
                } else {
                    rows.forEach((ids, r) -> byChild.put(RowParser.renameIds(ids, dep.rename), r.dataVersionByField));
                }
                parents.add(byChild);
            }
            Set<String> candidates = new HashSet<>();
            parents.forEach(p -> candidates.addAll(p.keySet()));
            Set<String> expectedSamples = new HashSet<>();
            for (String ids : candidates) {
                String[][] versions = new String[f.deps.size()][];
                boolean complete = true;
                for (int d = 0; d < f.deps.size(); d++) {
                    String[] parent = parents.get(d).get(ids);
                    if (parent != null) {
                        versions[d] = parent;
                    } else if (!f.deps.get(d).optional) {
                        complete = false;
                    }
                }
                if (!complete) {
                    continue;
                }
                expectedSamples.add(ids);
                String expected = f.calculator.provenance(f.calculator.provenanceByField(f.parentSlotValues(versions)));
                String mine = own.get(ids);
                if (mine == null) {
                    out.put(f.key + " " + ids, "new " + expected);
                } else if (!mine.equals(expected)) {
                    out.put(f.key + " " + ids, "stale " + expected);
                }
            }
            for (String ids : own.keySet()) {
                if (!expectedSamples.contains(ids)) {
                    out.put(f.key + " " + ids, "orphaned null");
                }
            }
        }
        return out;
    }
}
