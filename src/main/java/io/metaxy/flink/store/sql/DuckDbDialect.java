package io.metaxy.flink.store.sql;

import io.metaxy.flink.versioning.HashAlgorithm;
import io.metaxy.flink.versioning.SampleHasher;
import java.sql.Connection;
import org.duckdb.DuckDBFunctions;
import org.duckdb.DuckDBScalarFunctionBuilder;
import java.util.List;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * DuckDB: by-field columns of new tables as {@code STRUCT("<field>" VARCHAR, …)}, what Metaxy's
 * DuckDB store creates by default (its Polars struct columns written through Ibis), widened with
 * {@code struct_insert} when a feature gains fields; tables of earlier versions of this port keep
 * {@code MAP(VARCHAR, VARCHAR)} (Metaxy's {@code enable_map_datatype}), which is still read and
 * written. Both are read with {@code column['field']}.
 */
public final class DuckDbDialect implements SqlDialect {
    @Override
    public String name() {
        return "duckdb";
    }

    @Override
    public String byFieldType() {
        return "MAP(VARCHAR, VARCHAR)";
    }

    @Override
    public String byFieldType(List<String> fields) {
        return "STRUCT(" + String.join(", ", fields.stream().map(f -> SqlMetadataStore.q(f) + " VARCHAR").toList()) + ")";
    }

    @Override
    public String widenByField(String table, String column, String columnType, List<String> fields) {
        if (columnType == null || !columnType.trim().toUpperCase(java.util.Locale.ROOT).startsWith("STRUCT")) {
            return null;
        }
        List<String> present = structFields(columnType);
        List<String> missing = fields.stream().filter(f -> !present.contains(f)).toList();
        if (missing.isEmpty()) {
            return null;
        }
        List<String> all = new java.util.ArrayList<>(present);
        all.addAll(missing);
        return "ALTER TABLE " + table + " ALTER COLUMN " + SqlMetadataStore.q(column) + " TYPE " + byFieldType(all)
                + " USING struct_insert(" + SqlMetadataStore.q(column) + ", "
                + String.join(", ", missing.stream().map(f -> SqlMetadataStore.q(f) + " := NULL::VARCHAR").toList()) + ")";
    }

    /** The field names of a catalog type {@code STRUCT(a VARCHAR, "a/b" VARCHAR)}. */
    static List<String> structFields(String type) {
        String body = type.substring(type.indexOf('(') + 1, type.lastIndexOf(')'));
        List<String> out = new java.util.ArrayList<>();
        int i = 0;
        while (i < body.length()) {
            while (i < body.length() && (body.charAt(i) == ' ' || body.charAt(i) == ',')) {
                i++;
            }
            if (i >= body.length()) {
                break;
            }
            StringBuilder name = new StringBuilder();
            if (body.charAt(i) == '"') {
                i++;
                while (i < body.length()) {
                    char ch = body.charAt(i++);
                    if (ch == '"') {
                        if (i < body.length() && body.charAt(i) == '"') {
                            name.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        name.append(ch);
                    }
                }
            } else {
                while (i < body.length() && body.charAt(i) != ' ') {
                    name.append(body.charAt(i++));
                }
            }
            out.add(name.toString());
            // Skip the type, up to the next top-level comma.
            int depth = 0;
            while (i < body.length() && (depth > 0 || body.charAt(i) != ',')) {
                char ch = body.charAt(i++);
                depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
            }
        }
        return out;
    }

    /**
     * As microseconds since the epoch: duckdb_jdbc converts a TIMESTAMPTZ to
     * {@code OffsetDateTime} (and {@code Timestamp}) through the JVM's default time zone and gets
     * the offset wrong around DST changes (under America/New_York, 2024-03-10T07:30Z reads back as
     * 08:30Z), whatever the session's TimeZone. An integer has no zone to get wrong.
     */
    @Override
    public String selectTimestamp(String columnRef) {
        return "epoch_us(" + columnRef + ")";
    }

    @Override
    public Instant readTimestamp(ResultSet rs, int column) throws SQLException {
        long micros = rs.getLong(column);
        return rs.wasNull() ? null : Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    @Override
    public Map<String, String> readByField(ResultSet rs, int column) throws SQLException {
        Object value = rs.getObject(column);
        if (value == null) {
            return null;
        }
        if (value instanceof java.sql.Struct struct) {
            value = ((org.duckdb.DuckDBStruct) struct).getMap();
        }
        Map<String, String> out = new TreeMap<>();
        // A STRUCT widened for new fields holds NULL for them in older rows: absent, as in a MAP.
        ((Map<?, ?>) value).forEach((k, v) -> {
            if (v != null) {
                out.put(String.valueOf(k), String.valueOf(v));
            }
        });
        return new LinkedHashMap<>(out);
    }

    @Override
    public String byFieldElement(String columnRef, String keyLiteral) {
        return columnRef + "[" + keyLiteral + "]";
    }

    @Override
    public String inTextArray(String columnRef) {
        return columnRef + " IN (SELECT unnest(?::VARCHAR[]))";
    }

    @Override
    public void bindTextArray(Connection connection, PreparedStatement statement, int index, java.util.List<String> values)
            throws SQLException {
        statement.setArray(index, connection.createArrayOf("VARCHAR", values.toArray()));
    }

    /**
     * md5 and sha256 are DuckDB built-ins (lowercase hex of the UTF-8 bytes, as Java's); xxhash32
     * and xxhash64 are not (Metaxy loads the {@code hashfuncs} community extension), so
     * {@link #prepareHash} registers the store's own {@link SampleHasher} as a scalar function
     * {@code metaxy_hash_<algorithm>_<length>(VARCHAR) -> VARCHAR}. Registered functions belong to
     * the database instance (shared by connections to the same file in this JVM), hence a name per
     * algorithm and length; registering it again replaces it with an identical one.
     */
    @Override
    public String hashSql(SampleHasher hasher, String argument) {
        return switch (hasher.algorithm()) {
            case MD5, SHA256 -> "left(" + hasher.algorithm().id() + "(" + argument + "), " + hasher.length() + ")";
            // DuckDB renders and truncates the number itself: cheaper than a Java string per row.
            case XXHASH32 -> "left(CAST(" + functionName(hasher) + "(" + argument + ") AS VARCHAR), " + hasher.length() + ")";
            case XXHASH64 -> functionName(hasher) + "(" + argument + ")";
        };
    }

    @Override
    public void prepareHash(Connection connection, SampleHasher hasher) throws SQLException {
        if (hasher.algorithm() == HashAlgorithm.XXHASH32) {
            // Vectorized: one call per chunk of rows, and a number back instead of a string.
            try (DuckDBScalarFunctionBuilder builder = DuckDBFunctions.scalarFunction()) {
                builder.withName(functionName(hasher))
                        .withParameter(String.class)
                        .withReturnType(Long.class)
                        .withVectorizedFunction((input, out) -> {
                            org.duckdb.DuckDBReadableVector text = input.vector(0);
                            VectorBytes.Reader values = VectorBytes.reader(text);
                            long rows = input.rowCount();
                            for (long i = 0; i < rows; i++) {
                                if (text.isNull(i)) {
                                    out.setNull(i);
                                } else {
                                    int length = values.read(i);
                                    out.setLong(i, HashAlgorithm.xxhash32(values.bytes(), length));
                                }
                            }
                        })
                        .register(connection);
            }
        } else if (hasher.algorithm() == HashAlgorithm.XXHASH64) {
            try (DuckDBScalarFunctionBuilder builder = DuckDBFunctions.scalarFunction()) {
                builder.withName(functionName(hasher))
                        .withParameter(String.class)
                        .withReturnType(String.class)
                        .withFunction((String text) -> text == null ? null : hasher.hash(text))
                        .register(connection);
            }
        }
    }

    static String functionName(SampleHasher hasher) {
        // xxhash32's function returns the untruncated number (one per database serves every length).
        return hasher.algorithm() == HashAlgorithm.XXHASH32 ? "metaxy_xxhash32_value"
                : "metaxy_hash_" + hasher.algorithm().id() + "_" + hasher.length();
    }

    /**
     * By the error type DuckDB puts first in its messages (duckdb_jdbc sets no SQLSTATE): a
     * closed connection and a fatal (invalidated) database are connection failures; Conversion,
     * Out of Range, Constraint, Mismatch Type and Binder errors (a missing column, no operator for
     * the types) are schema mismatches; Parser and Catalog errors and the rest are neither.
     */
    @Override
    public Failure classify(SQLException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (message.startsWith("Connection was closed") || message.startsWith("Connection Error")
                || message.startsWith("FATAL Error") || e.getSQLState() != null && e.getSQLState().startsWith("08")) {
            return Failure.CONNECTION;
        }
        for (String type : SCHEMA_ERRORS) {
            if (message.startsWith(type)) {
                return Failure.SCHEMA;
            }
        }
        return Failure.OTHER;
    }

    private static final List<String> SCHEMA_ERRORS = List.of("Conversion Error", "Out of Range Error", "Constraint Error",
            "Mismatch Type Error", "Binder Error");

    /** The text of a VARCHAR result costs duckdb_jdbc a UTF-8 decode through a CharBuffer per value; a BIGINT is read as it is. */
    @Override
    public boolean decimalHash(SampleHasher hasher) {
        return hasher.algorithm() == HashAlgorithm.XXHASH32;
    }

    @Override
    public boolean ranksOnlyDuplicates() {
        return true;
    }

    @Override
    public String sqlType(Class<?> javaType) {
        if (javaType == Long.class || javaType == Integer.class || javaType == Short.class) {
            return "BIGINT";
        }
        if (javaType == Double.class || javaType == Float.class) {
            return "DOUBLE";
        }
        if (javaType == Boolean.class) {
            return "BOOLEAN";
        }
        return "VARCHAR";
    }
}
