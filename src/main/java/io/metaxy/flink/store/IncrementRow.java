package io.metaxy.flink.store;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
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
 *     (their columns are in {@code members})
 * @param members for each N:1 dep (by the parent's feature key, e.g. {@code "audio"}): the
 *     group's current members, the rows the worker aggregates, ordered by the members' id columns
 *     ({@link io.metaxy.flink.versioning.IdValueOrder}: numbers numerically, text by
 *     {@link String#compareTo}); each member is a map of its id columns plus its selected
 *     columns after the dep's rename (all user columns when no select), e.g.
 *     {@code {"audio": [{"audio_id": "a1", "path": "…", "speaker_id": "s1"}, …]}}. Filled for
 *     new and stale samples, one entry per N:1 dep (an empty list when an optional dep's group
 *     has no current member); an empty map for orphaned samples and for features without N:1
 *     deps. The streaming job emits the same as the record's {@code "members"}.
 */
public record IncrementRow(Map<String, Object> ids, Map<String, String> provenanceByField, String provenance,
        Map<String, String> recordedProvenanceByField, String recordedProvenance, Map<String, Object> upstream,
        Map<String, List<Map<String, Object>>> members) {

    public IncrementRow {
        // A FixedKeyMap is unmodifiable already: no copy (a resolve builds one per sample).
        upstream = upstream == null || upstream.isEmpty() ? Map.of()
                : upstream instanceof FixedKeyMap<?> ? upstream : Collections.unmodifiableMap(new LinkedHashMap<>(upstream));
        if (members == null || members.isEmpty()) {
            members = Map.of();
        } else {
            Map<String, List<Map<String, Object>>> copy = new LinkedHashMap<>();
            members.forEach((parent, rows) -> {
                List<Map<String, Object>> list = new ArrayList<>(rows.size());
                // Members' values may be null (an unset column): no Map.copyOf.
                rows.forEach(m -> list.add(Collections.unmodifiableMap(new LinkedHashMap<>(m))));
                copy.put(parent, Collections.unmodifiableList(list));
            });
            members = Collections.unmodifiableMap(copy);
        }
    }

    public IncrementRow(Map<String, Object> ids, Map<String, String> provenanceByField, String provenance,
            Map<String, String> recordedProvenanceByField, String recordedProvenance, Map<String, Object> upstream) {
        this(ids, provenanceByField, provenance, recordedProvenanceByField, recordedProvenance, upstream, Map.of());
    }

    public IncrementRow(Map<String, Object> ids, Map<String, String> provenanceByField, String provenance,
            Map<String, String> recordedProvenanceByField, String recordedProvenance) {
        this(ids, provenanceByField, provenance, recordedProvenanceByField, recordedProvenance, Map.of(), Map.of());
    }

    /** This row with {@code members} instead of its own. */
    public IncrementRow withMembers(Map<String, List<Map<String, Object>>> value) {
        return new IncrementRow(ids, provenanceByField, provenance, recordedProvenanceByField, recordedProvenance, upstream, value);
    }

    /** The row to write once the sample is (re)computed: ids plus expected provenance. */
    public MetadataRow toMetadataRow() {
        return MetadataRow.builder().ids(ids).provenanceByField(provenanceByField).provenance(provenance).build();
    }
}
