package io.metaxy.flink.stream;

import java.util.HashMap;
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

    /** "feature ids" → "kind expectedProvenance" (null provenance for orphaned). */
    static Map<String, String> resolveAll(StreamPlan plan, Iterable<StampedRow> writes) {
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
        Map<String, String> out = new TreeMap<>();
        for (StreamPlan.Feature f : plan.features()) {
            if (f.isRoot()) {
                continue;
            }
            Map<String, StampedRow> own = current.getOrDefault(f.key, Map.of());
            Set<String> candidates = new HashSet<>();
            for (StreamPlan.Dep dep : f.deps) {
                candidates.addAll(current.getOrDefault(dep.parent, Map.of()).keySet());
            }
            Set<String> expectedSamples = new HashSet<>();
            for (String ids : candidates) {
                String[][] versions = new String[f.deps.size()][];
                boolean complete = true;
                for (int d = 0; d < f.deps.size(); d++) {
                    StampedRow parent = current.getOrDefault(f.deps.get(d).parent, Map.of()).get(ids);
                    if (parent != null) {
                        versions[d] = parent.dataVersionByField;
                    } else if (!f.deps.get(d).optional) {
                        complete = false;
                    }
                }
                if (!complete) {
                    continue;
                }
                expectedSamples.add(ids);
                String expected = f.calculator.provenance(f.calculator.provenanceByField(f.parentSlotValues(versions)));
                StampedRow mine = own.get(ids);
                if (mine == null) {
                    out.put(f.key + " " + ids, "new " + expected);
                } else if (!mine.provenance.equals(expected)) {
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
