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
 */
public record IncrementRow(Map<String, Object> ids, Map<String, String> provenanceByField, String provenance,
        Map<String, String> recordedProvenanceByField, String recordedProvenance) {

    /** The row to write once the sample is (re)computed: ids plus expected provenance. */
    public MetadataRow toMetadataRow() {
        return MetadataRow.builder().ids(ids).provenanceByField(provenanceByField).provenance(provenance).build();
    }
}
