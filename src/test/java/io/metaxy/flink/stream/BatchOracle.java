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
        return resolve(plan, currentRows(plan, writes));
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
                rows.remove(w.idsJson);
            } else if (w.featureVersion.equals(version)) {
                if (w.op == RowOp.SOFT_DELETE) {
                    rows.remove(w.idsJson);
                } else {
                    rows.put(w.idsJson, w);
                }
            }
        }
        return rows;
    }

    static Map<String, String> resolve(StreamPlan plan, Map<String, Map<String, StampedRow>> current) {
        Map<String, String> out = new TreeMap<>();
        Map<String, String[]> expected = expectedByField(plan, current);
        for (StreamPlan.Feature f : plan.features()) {
            if (f.isRoot()) {
                continue;
            }
            Map<String, String> own = recorded(f, current.getOrDefault(f.key, Map.of()));
            expected.forEach((sample, byField) -> {
                if (!sample.startsWith(f.key + " ")) {
                    return;
                }
                String provenance = f.calculator.provenance(byField);
                String mine = own.get(sample.substring(f.key.length() + 1));
                if (mine == null) {
                    out.put(sample, "new " + provenance);
                } else if (!mine.equals(provenance)) {
                    out.put(sample, "stale " + provenance);
                }
            });
            for (String ids : own.keySet()) {
                if (!expected.containsKey(f.key + " " + ids)) {
                    out.put(f.key + " " + ids, "orphaned null");
                }
            }
        }
        return out;
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
                if (complete) {
                    out.put(f.key + " " + ids, f.calculator.provenanceByField(f.parentSlotValues(versions)));
                }
            }
        }
        return out;
    }
}
