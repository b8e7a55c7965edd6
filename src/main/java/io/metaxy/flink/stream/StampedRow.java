package io.metaxy.flink.stream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.store.MetadataRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated metadata row with its system columns stamped (design §4), plus its source position.
 * This is what a store sink appends; per-field arrays follow the feature's sorted fields in the
 * {@link StreamPlan}. Ids and user columns travel as canonical JSON so the record stays a flat
 * Flink POJO (no Kryo).
 *
 * <pre>{@code
 * MetadataRow row = stamped.toMetadataRow(plan); // for MetadataStore.write(feature, rows)
 * }</pre>
 */
public class StampedRow {
    private static final ObjectMapper JSON = new ObjectMapper();

    public String feature;
    public String idsJson;
    public RowOp op;
    /** User columns as a canonical JSON object; null for a hard delete. */
    public String columnsJson;
    public String[] provenanceByField;
    public String provenance;
    public String[] dataVersionByField;
    public String dataVersion;
    public String featureVersion;
    /** Whether {@link #featureVersion} is the feature's current version in the plan. */
    public boolean current;
    public long createdAt;
    public long updatedAt;
    public Long deletedAt;
    public String materializationId;
    public String topic;
    public int partition;
    public long offset;

    public StampedRow() {}

    /** Where the row came from, {@code topic/partition/offset}: unique per input record. */
    public String sourcePosition() {
        return topic + "/" + partition + "/" + offset;
    }

    /**
     * The row as the store API sees it. Without a writer-given {@code metaxy_materialization_id}
     * the source position takes its place, so a store sink replaying after a failure appends
     * nothing twice ({@code MetadataStore.write} skips known materialization ids). A hard delete
     * ({@link RowOp#HARD_DELETE}) has no system columns: a sink turns it into a delete by ids.
     */
    public MetadataRow toMetadataRow(StreamPlan plan) {
        List<String> fields = plan.feature(feature).fields;
        MetadataRow.Builder b = MetadataRow.builder().ids(parseJsonObject(idsJson))
                .featureVersion(featureVersion).provenance(provenance).dataVersion(dataVersion)
                .createdAt(Instant.ofEpochMilli(createdAt)).updatedAt(Instant.ofEpochMilli(updatedAt))
                .deletedAt(deletedAt == null ? null : Instant.ofEpochMilli(deletedAt))
                .materializationId(materializationId != null ? materializationId : sourcePosition());
        if (columnsJson != null) {
            b.columns(parseJsonObject(columnsJson));
        }
        if (provenanceByField != null) {
            b.provenanceByField(byField(fields, provenanceByField));
        }
        if (dataVersionByField != null) {
            b.dataVersionByField(byField(fields, dataVersionByField));
        }
        return b.build();
    }

    private static Map<String, String> byField(List<String> fields, String[] values) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            out.put(fields.get(i), values[i]);
        }
        return out;
    }

    private static Map<String, Object> parseJsonObject(String json) {
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return op + " " + feature + " " + idsJson + " prov=" + provenance + " fv=" + featureVersion;
    }
}
