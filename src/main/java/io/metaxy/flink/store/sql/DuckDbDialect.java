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

/** DuckDB: by-field columns as {@code MAP(VARCHAR, VARCHAR)}, bound as two arrays. */
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
    public String byFieldPlaceholder(List<String> fields) {
        // Keys as literals, values as scalar parameters: binding JDBC arrays per row is slow in duckdb_jdbc.
        List<String> keys = fields.stream().map(SqlMetadataStore::literal).toList();
        return "MAP([" + String.join(", ", keys) + "], [" + String.join(", ", java.util.Collections.nCopies(fields.size(), "?::VARCHAR")) + "])";
    }

    @Override
    public int bindByField(PreparedStatement statement, int index, List<String> fields, Map<String, String> value)
            throws SQLException {
        for (String field : fields) {
            statement.setString(index++, value.get(field));
        }
        return index;
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
        Map<String, String> out = new TreeMap<>();
        ((Map<?, ?>) value).forEach((k, v) -> out.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
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
            case XXHASH32, XXHASH64 -> functionName(hasher) + "(" + argument + ")";
        };
    }

    @Override
    public void prepareHash(Connection connection, SampleHasher hasher) throws SQLException {
        if (hasher.algorithm() == HashAlgorithm.XXHASH32 || hasher.algorithm() == HashAlgorithm.XXHASH64) {
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
        return "metaxy_hash_" + hasher.algorithm().id() + "_" + hasher.length();
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
