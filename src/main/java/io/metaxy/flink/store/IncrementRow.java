package io.metaxy.flink.store;

import java.util.Map;

/**
 * One sample of an {@link Increment}.
 *
 * @param ids the sample's id columns (for a 1:N expansion: the 'on' columns, i.e. the parent)
 * @param provenanceByField expected per-field provenance; null for orphaned
 * @param provenance expected sample provenance; null for orphaned
 * @param recordedProvenanceByField what the store holds now; null for new
 * @param recordedProvenance what the store holds now; null for new
 * @param upstream the parents' user columns the worker needs (each dep's {@code select}, after
 *     its {@code rename}; all user columns when no select), for new and stale; N:1 deps carry none
 */
public record IncrementRow(Map<String, Object> ids, Map<String, String> provenanceByField, String provenance,
        Map<String, String> recordedProvenanceByField, String recordedProvenance, Map<String, Object> upstream) {

    public IncrementRow {
        upstream = upstream == null || upstream.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(upstream));
    }

    public IncrementRow(Map<String, Object> ids, Map<String, String> provenanceByField, String provenance,
            Map<String, String> recordedProvenanceByField, String recordedProvenance) {
        this(ids, provenanceByField, provenance, recordedProvenanceByField, recordedProvenance, Map.of());
    }

    /** The row to write once the sample is (re)computed: ids plus expected provenance. */
    public MetadataRow toMetadataRow() {
        return MetadataRow.builder().ids(ids).provenanceByField(provenanceByField).provenance(provenance).build();
    }
}
