package io.metaxy.flink.worker;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outstanding work of one feature as a reader of its increments topic and metadata topic sees
 * it (docs/protocol.md, "Outstanding work"): per sample the latest increment, unless it is
 * {@code retracted} or was answered by a later row of the increment's {@code feature_version}
 * with its {@code metaxy_provenance_by_field} (a tombstone for {@code orphaned}). Feed it both
 * topics in the order they are read; not thread-safe. A 1:N feature's children are answered per
 * parent: {@code parentIdColumns} names the {@code on} columns a child row carries (empty for 1:1
 * and N:1 features).
 */
public final class OutstandingWork {
    private final java.util.List<String> parentIdColumns;
    private final Map<String, JsonNode> outstanding = new LinkedHashMap<>();
    private final Map<String, Long> kinds = new HashMap<>();
    private long rows;
    private long redeploys;
    /** 1:N: a child's ids → its parent's, from the child's rows (a tombstone carries only the child's ids). */
    private final Map<String, String> parentOfChild = new HashMap<>();

    public OutstandingWork() {
        this(java.util.List.of());
    }

    public OutstandingWork(java.util.List<String> parentIdColumns) {
        this.parentIdColumns = parentIdColumns;
    }

    /** An increment event ({@code key} = the record key as text). */
    public void increment(String key, JsonNode event) {
        if (event == null) {
            return;
        }
        String kind = event.path("kind").asText();
        kinds.merge(kind, 1L, Long::sum);
        if (event.path("cause").has("redeploy")) {
            redeploys++;
        }
        String sample = canonical(event.get("ids"), key);
        if (kind.equals("retracted")) {
            outstanding.remove(sample);
        } else {
            outstanding.put(sample, event);
        }
    }

    /** A record of the feature's metadata topic ({@code value} null = tombstone). */
    public void row(String key, JsonNode value) {
        rows++;
        String sample = key;
        JsonNode ids = parse(key);
        if (!parentIdColumns.isEmpty()) {
            String child = ids != null ? canonical(ids, key) : key;
            if (value == null) {
                sample = parentOfChild.remove(child);
                if (sample == null) {
                    return;
                }
                // the parent is answered once none of its children is left
                if (parentOfChild.containsValue(sample)) {
                    return;
                }
            } else {
                com.fasterxml.jackson.databind.node.ObjectNode parent = IncrementWorker.JSON.createObjectNode();
                for (String c : parentIdColumns) {
                    parent.set(c, value.has(c) ? value.get(c) : ids == null ? null : ids.get(c));
                }
                sample = canonical(parent, parent.toString());
                parentOfChild.put(child, sample);
            }
        } else if (ids != null) {
            sample = canonical(ids, key);
        }
        JsonNode pending = outstanding.get(sample);
        if (pending == null) {
            return;
        }
        boolean orphan = pending.path("kind").asText().equals("orphaned");
        if (orphan ? value == null
                : value != null && Objects.equals(value.get(IncrementWorker.PROVENANCE_BY_FIELD),
                        pending.get(IncrementWorker.PROVENANCE_BY_FIELD))
                        && pending.path("feature_version").asText().equals(
                                value.path(IncrementWorker.FEATURE_VERSION).asText(pending.path("feature_version").asText()))) {
            outstanding.remove(sample);
        }
    }

    /** Samples with outstanding work. */
    public int outstanding() {
        return outstanding.size();
    }

    public Map<String, JsonNode> outstandingEvents() {
        return java.util.Collections.unmodifiableMap(outstanding);
    }

    /** Increment events received of {@code kind}. */
    public long count(String kind) {
        return kinds.getOrDefault(kind, 0L);
    }

    public long increments() {
        return kinds.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Increment events caused by a redeploy with changed definitions ({@code "cause":{"redeploy":…}}). */
    public long redeployIncrements() {
        return redeploys;
    }

    /** Records of the metadata topic received (rows and tombstones). */
    public long rows() {
        return rows;
    }

    private static String canonical(JsonNode ids, String fallback) {
        if (ids == null || !ids.isObject()) {
            return fallback;
        }
        java.util.TreeMap<String, JsonNode> sorted = new java.util.TreeMap<>();
        ids.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
        return IncrementWorker.JSON.valueToTree(sorted).toString();
    }

    private static JsonNode parse(String key) {
        try {
            return key == null ? null : IncrementWorker.JSON.readTree(key);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
