package io.metaxy.flink.store;

import java.util.List;

/** Metaxy's system column names, shared by every store backend, the job and the CLI. */
public final class SystemColumns {
    public static final String PROVENANCE_BY_FIELD = "metaxy_provenance_by_field";
    public static final String PROVENANCE = "metaxy_provenance";
    public static final String DATA_VERSION_BY_FIELD = "metaxy_data_version_by_field";
    public static final String DATA_VERSION = "metaxy_data_version";
    public static final String FEATURE_VERSION = "metaxy_feature_version";
    public static final String CREATED_AT = "metaxy_created_at";
    public static final String UPDATED_AT = "metaxy_updated_at";
    public static final String DELETED_AT = "metaxy_deleted_at";
    public static final String MATERIALIZATION_ID = "metaxy_materialization_id";
    /** Metaxy's project version (src/metaxy/models/constants.py); kept as the writer supplies it. */
    public static final String PROJECT_VERSION = "metaxy_project_version";
    /** Metaxy's feature definition version (docs/reference/system-columns.md); kept as supplied. */
    public static final String DEFINITION_VERSION = "metaxy_definition_version";

    /** In table order, after the id and user columns. */
    public static final List<String> ALL = List.of(PROVENANCE_BY_FIELD, PROVENANCE, DATA_VERSION_BY_FIELD, DATA_VERSION,
            FEATURE_VERSION, CREATED_AT, UPDATED_AT, DELETED_AT, MATERIALIZATION_ID);

    /**
     * Metaxy's system columns this port stores as supplied but cannot compute: nullable text
     * columns after {@link #ALL}, created with the table (added by the next write to a table of
     * an older version of this port).
     */
    public static final List<String> OPTIONAL = List.of(PROJECT_VERSION, DEFINITION_VERSION);

    private SystemColumns() {}

    public static boolean isSystem(String column) {
        return column.startsWith("metaxy_");
    }

    /** Whether the column is one of the timestamp system columns (created, updated, deleted). */
    public static boolean isTimestamp(String column) {
        return column.equals(CREATED_AT) || column.equals(UPDATED_AT) || column.equals(DELETED_AT);
    }
}
