package io.metaxy.flink.store;

import java.io.Serializable;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One metadata row of a feature (design §4): the sample's id columns, user columns and the
 * system columns. The unit written to and read from a store, and carried by the streaming job.
 *
 * <pre>{@code
 * MetadataRow row = MetadataRow.builder()
 *         .ids(Map.of("sample_uid", 1))
 *         .column("path", "s3://bucket/1.mp4")
 *         .provenanceByField(Map.of("audio", "a1", "frames", "f1"))
 *         .build();
 * }</pre>
 *
 * Values of ids and user columns are JSON-like: String, Long/Integer, Double, Boolean or null.
 * System columns not yet stamped are null. {@code projectVersion} and {@code definitionVersion}
 * are Metaxy's {@code metaxy_project_version} and {@code metaxy_definition_version}: this port
 * cannot compute them (they hash Metaxy's Python project and Pydantic schemas), so the store keeps
 * whatever the writer supplies (null when none).
 */
public record MetadataRow(
        Map<String, Object> ids,
        Map<String, Object> columns,
        Map<String, String> provenanceByField,
        String provenance,
        Map<String, String> dataVersionByField,
        String dataVersion,
        String featureVersion,
        Instant createdAt,
        Instant updatedAt,
        Instant deletedAt,
        String materializationId,
        String projectVersion,
        String definitionVersion) implements Serializable {

    public MetadataRow {
        Objects.requireNonNull(ids, "ids");
        ids = frozen(ids);
        columns = columns == null ? Map.of() : frozen(columns);
        provenanceByField = provenanceByField == null ? null : frozen(provenanceByField);
        dataVersionByField = dataVersionByField == null ? null : frozen(dataVersionByField);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().ids(ids).columns(columns).provenanceByField(provenanceByField).provenance(provenance)
                .dataVersionByField(dataVersionByField).dataVersion(dataVersion).featureVersion(featureVersion)
                .createdAt(createdAt).updatedAt(updatedAt).deletedAt(deletedAt).materializationId(materializationId)
                .projectVersion(projectVersion).definitionVersion(definitionVersion);
    }

    public boolean isSoftDeleted() {
        return deletedAt != null;
    }

    /** The data version by field, defaulting to the provenance by field (design §3). */
    public Map<String, String> effectiveDataVersionByField() {
        return dataVersionByField != null ? dataVersionByField : provenanceByField;
    }

    private static <V> Map<String, V> frozen(Map<String, V> map) {
        // Insertion order is kept (LinkedHashMap) and null values allowed, unlike Map.copyOf.
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    /** Builds a {@link MetadataRow}. */
    public static final class Builder {
        private Map<String, Object> ids = Map.of();
        private final Map<String, Object> columns = new LinkedHashMap<>();
        private Map<String, String> provenanceByField;
        private String provenance;
        private Map<String, String> dataVersionByField;
        private String dataVersion;
        private String featureVersion;
        private Instant createdAt;
        private Instant updatedAt;
        private Instant deletedAt;
        private String materializationId;
        private String projectVersion;
        private String definitionVersion;

        public Builder ids(Map<String, ?> value) {
            this.ids = new LinkedHashMap<>(value);
            return this;
        }

        public Builder columns(Map<String, ?> value) {
            this.columns.clear();
            this.columns.putAll(value);
            return this;
        }

        public Builder column(String name, Object value) {
            this.columns.put(name, value);
            return this;
        }

        public Builder provenanceByField(Map<String, String> value) {
            this.provenanceByField = value;
            return this;
        }

        public Builder provenance(String value) {
            this.provenance = value;
            return this;
        }

        public Builder dataVersionByField(Map<String, String> value) {
            this.dataVersionByField = value;
            return this;
        }

        public Builder dataVersion(String value) {
            this.dataVersion = value;
            return this;
        }

        public Builder featureVersion(String value) {
            this.featureVersion = value;
            return this;
        }

        public Builder createdAt(Instant value) {
            this.createdAt = value;
            return this;
        }

        public Builder updatedAt(Instant value) {
            this.updatedAt = value;
            return this;
        }

        public Builder deletedAt(Instant value) {
            this.deletedAt = value;
            return this;
        }

        public Builder materializationId(String value) {
            this.materializationId = value;
            return this;
        }

        /** Metaxy's {@code metaxy_project_version}, kept as supplied. */
        public Builder projectVersion(String value) {
            this.projectVersion = value;
            return this;
        }

        /** Metaxy's {@code metaxy_definition_version}, kept as supplied. */
        public Builder definitionVersion(String value) {
            this.definitionVersion = value;
            return this;
        }

        @SuppressWarnings("unchecked")
        public MetadataRow build() {
            return new MetadataRow((Map<String, Object>) (Map<String, ?>) ids, columns, provenanceByField, provenance,
                    dataVersionByField, dataVersion, featureVersion, createdAt, updatedAt, deletedAt, materializationId,
                    projectVersion, definitionVersion);
        }
    }
}
