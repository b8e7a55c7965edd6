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
 * topics, in any relative order (the latest row answers, whether read before or after the
 * increment); not thread-safe. A 1:N feature's children are answered per
 * parent: {@code parentIdColumns} names the {@code on} columns a child row carries (empty for 1:1
 * and N:1 features).
 */
public final class OutstandingWork {
    private final java.util.List<String> parentIdColumns;
    /** Per sample the latest increment that is not a retraction. */
    private final Map<String, JsonNode> pending = new HashMap<>();
    /** Per sample its rows' latest answer: child ids (the sample's own ids for 1:1) → row, null = deleted. */
    private final Map<String, Map<String, JsonNode>> answers = new HashMap<>();
    /** Samples whose pending increment is not answered. */
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

    /**
     * An increment event ({@code key} = the record key as text). Rows and increments may be fed in
     * any order relative to each other (a consumer of both topics sees them so): an answer is the
     * latest row, whichever came first.
     */
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
            pending.remove(sample);
        } else {
            pending.put(sample, event);
        }
        update(sample);
    }

    /** A record of the feature's metadata topic ({@code value} null = tombstone). */
    public void row(String key, JsonNode value) {
        rows++;
        JsonNode ids = parse(key);
        String child = ids != null ? canonical(ids, key) : key;
        String sample = child;
        if (!parentIdColumns.isEmpty()) {
            if (value == null) {
                sample = parentOfChild.get(child);
                if (sample == null) {
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
        }
        answers.computeIfAbsent(sample, k -> new HashMap<>()).put(child, value);
        update(sample);
    }

    private void update(String sample) {
        JsonNode event = pending.get(sample);
        if (event == null || answered(event, answers.get(sample))) {
            outstanding.remove(sample);
        } else {
            outstanding.put(sample, event);
        }
    }

    private static boolean answered(JsonNode event, Map<String, JsonNode> rows) {
        boolean orphan = event.path("kind").asText().equals("orphaned");
        if (rows == null || rows.isEmpty()) {
            return false;
        }
        boolean any = false;
        for (JsonNode row : rows.values()) {
            if (row == null) {
                continue;
            }
            any = true;
            String version = event.path("feature_version").asText();
            if (orphan || !Objects.equals(row.get(IncrementWorker.PROVENANCE_BY_FIELD),
                    event.get(IncrementWorker.PROVENANCE_BY_FIELD))
                    || !version.equals(row.path(IncrementWorker.FEATURE_VERSION).asText(version))) {
                return false;
            }
        }
        return orphan ? !any : any;
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
