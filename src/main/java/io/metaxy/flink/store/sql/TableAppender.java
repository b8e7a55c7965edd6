package io.metaxy.flink.store.sql;

import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.store.MetadataStoreException;
import io.metaxy.flink.store.SchemaMismatchException;
import io.metaxy.flink.store.SystemColumns;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.postgresql.PGConnection;

/**
 * Bulk appends to one feature's table inside the connection's open transaction: DuckDB's
 * appender, PostgreSQL's {@code COPY}, and for DuckDB tables with column types the appender is not
 * used for (tables made by hand) a prepared single-row INSERT. Rows are buffered until
 * {@link #flush}; the caller commits. Both the store sink ({@link SinkTransaction}) and the batch
 * {@link SqlMetadataStore#write} append through it, so a row is laid out and type-checked the same
 * way whichever wrote it.
 *
 * <pre>{@code
 * TableAppender t = new TableAppender(store, spec);          // in an open transaction
 * t.check(ids, columns, provenanceByField, null);
 * t.ensureColumns(ids, columns);
 * Object[] values = t.values(ids, columns, provenanceByField, provenance, provenanceByField, provenance,
 *         featureVersion, createdMicros, updatedMicros, null, materializationId, null, null);
 * t.checkTypes(ids, values);
 * t.add(values);
 * t.flush();
 * t.closeAppender();                                          // then commit
 * }</pre>
 */
final class TableAppender {
    private final SqlMetadataStore store;
    private final Connection connection;
    private final boolean duckdb;
    final FeatureSpec spec;
    final FeatureKey key;
    final List<String> fields;
    final java.util.Set<String> lineage;
    LinkedHashMap<String, String> schema;
    /** Per column of {@link #schema}, its kind; null until the table exists. */
    ColumnKind[] kinds;
    boolean appendable;
    DuckDBAppender appender;
    StringBuilder copy;
    long pending;
    long appended;
    final List<Object[]> fallback = new ArrayList<>();
    /** Per column: the field names of a STRUCT by-field column (in its order), else null. */
    List<String>[] structFields;
    /** Per STRUCT column: for each of its fields the index in {@link #fields}, or -1; else null. */
    int[][] structIndex;
    /** Per column of {@link #schema}: which value {@link #values} puts there ({@code ROLE_*}). */
    int[] roles;
    /** Column name → its position in {@link #schema}. */
    final Map<String, Integer> columnIndex = new HashMap<>();
    /** Every STRUCT by-field column holds all of the feature's fields (no widening needed). */
    boolean structsCover;
    /** User column names found valid (identifier, no collision). */
    final java.util.Set<String> checkedNames = new java.util.HashSet<>();

    /**
     * Starts the connection's transaction (auto-commit already off) before any appender runs:
     * duckdb_jdbc opens it lazily on the next statement, and an appender flushed before any
     * statement would auto-commit on its own.
     */
    static void openTransactionNow(Connection connection) throws SQLException {
        try (java.sql.Statement st = connection.createStatement()) {
            st.execute("SELECT 1");
        }
    }

    TableAppender(SqlMetadataStore store, FeatureSpec spec) throws SQLException {
        this.store = store;
        this.connection = store.connection();
        this.duckdb = store.dialect() instanceof DuckDbDialect;
        this.spec = spec;
        this.key = spec.key();
        this.fields = store.calculator(key).fieldNames();
        this.lineage = store.graph().carriedColumns(key);
        loadSchema();
    }

    void loadSchema() throws SQLException {
        store.forgetSchemas();
        schema = store.schema(key);
        if (schema.isEmpty()) {
            kinds = null;
            return;
        }
        kinds = new ColumnKind[schema.size()];
        structFields = new List[schema.size()];
        structIndex = new int[schema.size()][];
        roles = new int[schema.size()];
        columnIndex.clear();
        structsCover = true;
        int i = 0;
        appendable = true;
        for (Map.Entry<String, String> c : schema.entrySet()) {
            if (c.getValue().trim().toUpperCase(java.util.Locale.ROOT).startsWith("STRUCT")) {
                // Metaxy's default by-field type on DuckDB: the fields in the column's own order.
                structFields[i] = DuckDbDialect.structFields(c.getValue());
                structIndex[i] = structFields[i].stream().mapToInt(fields::indexOf).toArray();
                structsCover &= structFields[i].containsAll(fields);
            }
            roles[i] = role(c.getKey());
            columnIndex.put(c.getKey(), i);
            kinds[i++] = ColumnKind.of(c.getValue());
            if (duckdb && !appenderWrites(c.getKey(), c.getValue())) {
                appendable = false;
            }
        }
    }

    /** The types this store creates; others (tables made by hand) go through INSERT. */
    private boolean appenderWrites(String column, String type) {
        String t = type.toUpperCase(java.util.Locale.ROOT);
        if (column.equals(SystemColumns.PROVENANCE_BY_FIELD) || column.equals(SystemColumns.DATA_VERSION_BY_FIELD)) {
            return t.equals("MAP(VARCHAR, VARCHAR)") || t.startsWith("STRUCT(");
        }
        return t.equals("BIGINT") || t.equals("DOUBLE") || t.equals("BOOLEAN") || t.equals("VARCHAR")
                || t.equals("TIMESTAMP WITH TIME ZONE");
    }

    /** The kind of {@code column} in the table, null if it has none (yet). */
    ColumnKind kind(String column) {
        Integer at = columnIndex.get(column);
        return at == null || kinds == null ? null : kinds[at];
    }

    void check(Map<String, Object> ids, Map<String, Object> columns, String[] provenanceByField, String[] dataVersionByField) {
        for (String id : spec.idColumns()) {
            if (ids.get(id) == null) {
                throw new SchemaMismatchException("feature '" + key + "': row " + ids + " has no value for id column '" + id + "'");
            }
        }
        if (ids.size() != spec.idColumns().size()) {
            for (String id : ids.keySet()) {
                if (!spec.idColumns().contains(id)) {
                    throw new SchemaMismatchException("feature '" + key + "': '" + id + "' is not an id column " + spec.idColumns());
                }
            }
        }
        for (String name : columns.keySet()) {
            if (checkedNames.contains(name)) {
                continue;
            }
            SqlMetadataStore.checkIdentifier(key, name);
            if (SystemColumns.isSystem(name) || spec.idColumns().contains(name)) {
                throw new SchemaMismatchException("feature '" + key + "': user column '" + name
                        + "' collides with an id or system column");
            }
            checkedNames.add(name);
        }
        SqlMetadataStore.checkLineageColumns(key, ids, columns, lineage);
        checkVersions(ids, SystemColumns.PROVENANCE_BY_FIELD, provenanceByField);
        if (dataVersionByField != null) {
            checkVersions(ids, SystemColumns.DATA_VERSION_BY_FIELD, dataVersionByField);
        }
    }

    /** The id and user column values of {@code values} (from {@link #values}) fit their columns' types. */
    void checkTypes(Map<String, Object> ids, Object[] values) {
        if (kinds != null) {
            int i = 0;
            for (Map.Entry<String, String> c : schema.entrySet()) {
                Object value = roles[i] == ROLE_USER ? values[i] : null;
                if (value != null && !fits(value, kinds[i])) {
                    throw new SchemaMismatchException("feature '" + key + "': column '" + c.getKey() + "' of table "
                            + key.tableName() + " is " + c.getValue() + ", the row " + ids + " has "
                            + value.getClass().getSimpleName() + " '" + value + "'");
                }
                i++;
            }
        }
    }

    private void checkVersions(Map<String, Object> ids, String column, String[] values) {
        if (values == null || values.length != fields.size()) {
            throw new SchemaMismatchException("feature '" + key + "': row " + ids + " has no " + column + " for fields " + fields);
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                throw new SchemaMismatchException("feature '" + key + "': row " + ids + " has a null " + column
                        + " for field '" + fields.get(i) + "'");
            }
        }
    }

    /** Creates the table, or adds new user columns, as {@code write} does. */
    void ensureColumns(Map<String, Object> ids, Map<String, Object> columns) throws SQLException {
        boolean missing = kinds == null;
        if (!missing) {
            // A STRUCT by-field column is widened (by ensureTable) when the feature gained fields.
            missing = !structsCover;
            for (String name : columns.keySet()) {
                if (!schema.containsKey(name)) {
                    missing = true;
                    break;
                }
            }
        }
        if (!missing) {
            return;
        }
        flush();
        closeAppender();
        Map<String, Class<?>> idTypes = new LinkedHashMap<>();
        ids.forEach((k, v) -> idTypes.put(k, v.getClass()));
        Map<String, Class<?>> userColumns = new LinkedHashMap<>();
        columns.forEach((k, v) -> userColumns.put(k, v == null ? null : v.getClass()));
        store.ensureTable(spec, idTypes, userColumns);
        loadSchema();
    }

    /**
     * The row's value per column of {@link #schema}: system columns by the role worked out
     * when the schema was read, ids and user columns placed by name (ids win; a user column
     * named like an id or system column was refused by {@link #check}). Looking each schema
     * column up in the row's maps, and a string switch per column, showed in profiles.
     */
    Object[] values(Map<String, Object> ids, Map<String, Object> columns, String[] provenanceByField, String provenance,
            String[] dataVersionByField, String dataVersion, String featureVersion, long created, long updated,
            Long deleted, String materializationId, String projectVersion, String definitionVersion) {
        Object[] values = new Object[roles.length];
        columns.forEach((name, value) -> {
            Integer at = columnIndex.get(name);
            if (at != null && roles[at] == ROLE_USER) {
                values[at] = value;
            }
        });
        ids.forEach((name, value) -> {
            Integer at = columnIndex.get(name);
            if (at != null && roles[at] == ROLE_USER) {
                values[at] = value;
            }
        });
        for (int i = 0; i < roles.length; i++) {
            values[i] = switch (roles[i]) {
                case ROLE_PROVENANCE_BY_FIELD -> provenanceByField;
                case ROLE_PROVENANCE -> provenance;
                case ROLE_DATA_VERSION_BY_FIELD -> dataVersionByField;
                case ROLE_DATA_VERSION -> dataVersion;
                case ROLE_FEATURE_VERSION -> featureVersion;
                case ROLE_CREATED_AT -> created;
                case ROLE_UPDATED_AT -> updated;
                case ROLE_DELETED_AT -> deleted;
                case ROLE_MATERIALIZATION_ID -> materializationId;
                case ROLE_PROJECT_VERSION -> projectVersion;
                case ROLE_DEFINITION_VERSION -> definitionVersion;
                default -> values[i];
            };
        }
        return values;
    }

    void add(Object[] values) throws SQLException {
        if (duckdb && appendable) {
            appendDuckDb(values);
        } else if (duckdb) {
            fallback.add(values);
        } else {
            appendCopy(values);
        }
        pending++;
    }

    private void appendDuckDb(Object[] values) throws SQLException {
        if (appender == null) {
            appender = connection.unwrap(DuckDBConnection.class).createAppender(key.tableName());
        }
        appender.beginRow();
        int i = 0;
        for (Object value : values) {
            ColumnKind kind = kinds[i++];
            if (value == null) {
                appender.appendNull();
            } else if (value instanceof String[] byField && structFields[i - 1] != null) {
                appender.beginStruct();
                for (int f : structIndex[i - 1]) {
                    if (f < 0) {
                        appender.appendNull();
                    } else {
                        appender.append(byField[f]);
                    }
                }
                appender.endStruct();
            } else if (value instanceof String[] byField) {
                Map<String, String> map = new LinkedHashMap<>(byField.length * 2);
                for (int f = 0; f < byField.length; f++) {
                    map.put(fields.get(f), byField[f]);
                }
                appender.append(map);
            } else {
                switch (kind) {
                    case TIMESTAMP -> appender.appendEpochMicros((Long) value);
                    case INTEGER -> appender.append(toLong(value));
                    case FLOAT -> appender.append(value instanceof Number n ? n.doubleValue() : toDouble(value).doubleValue());
                    case BOOLEAN -> appender.append(toBoolean(value));
                    default -> appender.append(value instanceof String s ? s : String.valueOf(value));
                }
            }
        }
        appender.endRow();
    }

    private void appendCopy(Object[] values) {
        if (copy == null) {
            copy = new StringBuilder(1 << 16);
        }
        int i = 0;
        for (Object value : values) {
            if (i > 0) {
                copy.append('\t');
            }
            ColumnKind kind = kinds[i++];
            if (value == null) {
                copy.append("\\N");
            } else if (value instanceof String[] byField) {
                StringBuilder json = new StringBuilder(byField.length * 16).append('{');
                // JSONB keys sorted, as write binds them (fields are sorted already)
                for (int f = 0; f < byField.length; f++) {
                    if (f > 0) {
                        json.append(',');
                    }
                    jsonString(json, fields.get(f));
                    json.append(':');
                    jsonString(json, byField[f]);
                }
                escapeCopy(copy, json.append('}'));
            } else {
                switch (kind) {
                    case TIMESTAMP -> copy.append(Instant.EPOCH.plus((Long) value, ChronoUnit.MICROS));
                    case INTEGER -> copy.append(toLong(value));
                    case FLOAT -> copy.append(toDouble(value));
                    case BOOLEAN -> copy.append(toBoolean(value) ? 't' : 'f');
                    default -> escapeCopy(copy, String.valueOf(value));
                }
            }
        }
        copy.append('\n');
    }

    void flush() throws SQLException {
        if (pending == 0) {
            return;
        }
        if (appender != null) {
            appender.flush();
        }
        if (!fallback.isEmpty()) {
            insertFallback();
        }
        if (copy != null && copy.length() > 0) {
            List<String> quoted = schema.keySet().stream().map(SqlMetadataStore::q).toList();
            String sql = "COPY " + SqlMetadataStore.q(key.tableName()) + " (" + String.join(", ", quoted) + ") FROM STDIN";
            try {
                connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql, new StringReader(copy.toString()));
            } catch (IOException e) {
                throw new MetadataStoreException("COPY into " + key.tableName() + " failed: " + e.getMessage(), e);
            }
            copy.setLength(0);
        }
        appended += pending;
        pending = 0;
    }

    /** Tables with column types the appender is not used for: a prepared single-row INSERT each. */
    private void insertFallback() throws SQLException {
        List<String> names = new ArrayList<>(schema.keySet());
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(SqlMetadataStore.q(key.tableName())).append(" (")
                .append(String.join(", ", names.stream().map(SqlMetadataStore::q).toList())).append(") VALUES (");
        for (int i = 0; i < names.size(); i++) {
            sql.append(i == 0 ? "" : ", ");
            if (kinds[i] == ColumnKind.BY_FIELD && structFields[i] != null) {
                sql.append("struct_pack(").append(String.join(", ", structFields[i].stream()
                        .map(f -> SqlMetadataStore.q(f) + " := ?::VARCHAR").toList())).append(')');
            } else if (kinds[i] == ColumnKind.BY_FIELD) {
                sql.append("MAP(?::VARCHAR[], ?::VARCHAR[])");
            } else if (kinds[i] == ColumnKind.TIMESTAMP) {
                sql.append("make_timestamptz(?::BIGINT)");
            } else {
                sql.append('?');
            }
        }
        sql.append(')');
        try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            for (Object[] values : fallback) {
                int p = 1;
                for (int i = 0; i < values.length; i++) {
                    Object v = values[i];
                    if (kinds[i] == ColumnKind.BY_FIELD && structFields[i] != null) {
                        for (String field : structFields[i]) {
                            int f = fields.indexOf(field);
                            ps.setString(p++, f < 0 || v == null ? null : ((String[]) v)[f]);
                        }
                    } else if (kinds[i] == ColumnKind.BY_FIELD) {
                        ps.setArray(p++, connection.createArrayOf("VARCHAR", fields.toArray()));
                        ps.setArray(p++, connection.createArrayOf("VARCHAR", (String[]) v));
                    } else {
                        ps.setObject(p++, v);
                    }
                }
                ps.executeUpdate();
            }
        }
        fallback.clear();
    }

    void closeAppender() throws SQLException {
        if (appender != null) {
            DuckDBAppender a = appender;
            appender = null;
            a.close();
        }
    }

    void reset() {
        pending = 0;
        appended = 0;
        fallback.clear();
        if (copy != null) {
            copy.setLength(0);
        }
    }

    private static final int ROLE_USER = 0, ROLE_PROVENANCE_BY_FIELD = 1, ROLE_PROVENANCE = 2, ROLE_DATA_VERSION_BY_FIELD = 3,
            ROLE_DATA_VERSION = 4, ROLE_FEATURE_VERSION = 5, ROLE_CREATED_AT = 6, ROLE_UPDATED_AT = 7, ROLE_DELETED_AT = 8,
            ROLE_MATERIALIZATION_ID = 9, ROLE_PROJECT_VERSION = 10, ROLE_DEFINITION_VERSION = 11;

    /** Which of {@link #add}'s values a column of this name holds; ids and user columns are looked up by name. */
    private static int role(String column) {
        return switch (column) {
            case SystemColumns.PROVENANCE_BY_FIELD -> ROLE_PROVENANCE_BY_FIELD;
            case SystemColumns.PROVENANCE -> ROLE_PROVENANCE;
            case SystemColumns.DATA_VERSION_BY_FIELD -> ROLE_DATA_VERSION_BY_FIELD;
            case SystemColumns.DATA_VERSION -> ROLE_DATA_VERSION;
            case SystemColumns.FEATURE_VERSION -> ROLE_FEATURE_VERSION;
            case SystemColumns.CREATED_AT -> ROLE_CREATED_AT;
            case SystemColumns.UPDATED_AT -> ROLE_UPDATED_AT;
            case SystemColumns.DELETED_AT -> ROLE_DELETED_AT;
            case SystemColumns.MATERIALIZATION_ID -> ROLE_MATERIALIZATION_ID;
            case SystemColumns.PROJECT_VERSION -> ROLE_PROJECT_VERSION;
            case SystemColumns.DEFINITION_VERSION -> ROLE_DEFINITION_VERSION;
            default -> ROLE_USER;
        };
    }

    private static boolean fits(Object value, ColumnKind kind) {
        return switch (kind) {
            case INTEGER -> value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                    || value instanceof String s && parses(s, true)
                    || value instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d);
            case FLOAT -> value instanceof Number || value instanceof String s && parses(s, false);
            case BOOLEAN -> value instanceof Boolean || value instanceof String s && (s.equals("true") || s.equals("false"));
            case TEXT -> true;
            default -> false;
        };
    }

    private static boolean parses(String s, boolean integral) {
        try {
            if (integral) {
                Long.parseLong(s.trim());
            } else {
                Double.parseDouble(s.trim());
            }
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static long toLong(Object value) {
        if (value instanceof Double d) {
            return d.longValue();
        }
        return value instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(value).trim());
    }

    private static Double toDouble(Object value) {
        return value instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(value).trim());
    }

    private static boolean toBoolean(Object value) {
        return value instanceof Boolean b ? b : Boolean.parseBoolean(String.valueOf(value));
    }

    private static void jsonString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** COPY text format: backslash, tab, newline and carriage return escaped. */
    static void escapeCopy(StringBuilder out, CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
    }
}
