package io.metaxy.flink.store.sql;

import java.util.Locale;
import java.util.Set;

/**
 * What kind of value a column holds, from the SQL type name the catalog reports
 * ({@code information_schema.columns.data_type}: {@code BIGINT} in DuckDB, {@code bigint} in
 * PostgreSQL, …). Decides how values are bound to it and how filter values are converted.
 */
enum ColumnKind {
    INTEGER, FLOAT, BOOLEAN, TEXT, TIMESTAMP,
    /** The by-field system columns: MAP/STRUCT in DuckDB, JSONB in PostgreSQL. */
    BY_FIELD,
    /** Anything this store does not create itself. */
    OTHER;

    private static final Set<String> INTEGERS = Set.of("BIGINT", "INTEGER", "INT", "SMALLINT", "TINYINT", "HUGEINT",
            "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "INT8", "INT4", "INT2");
    private static final Set<String> FLOATS = Set.of("DOUBLE", "DOUBLE PRECISION", "REAL", "FLOAT", "FLOAT4", "FLOAT8");

    static ColumnKind of(String sqlType) {
        if (sqlType == null) {
            return OTHER;
        }
        String t = sqlType.toUpperCase(Locale.ROOT).trim();
        if (t.startsWith("MAP") || t.startsWith("STRUCT") || t.equals("JSONB") || t.equals("JSON")) {
            return BY_FIELD;
        }
        if (t.contains("CHAR") || t.equals("TEXT") || t.equals("STRING")) {
            return TEXT;
        }
        if (t.startsWith("TIMESTAMP")) {
            return TIMESTAMP;
        }
        if (INTEGERS.contains(t)) {
            return INTEGER;
        }
        if (FLOATS.contains(t) || t.startsWith("DECIMAL") || t.startsWith("NUMERIC")) {
            return FLOAT;
        }
        if (t.equals("BOOLEAN") || t.equals("BOOL")) {
            return BOOLEAN;
        }
        return OTHER;
    }
}
