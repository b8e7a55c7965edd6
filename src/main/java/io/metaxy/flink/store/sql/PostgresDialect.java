package io.metaxy.flink.store.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** PostgreSQL: by-field columns as JSONB, bound as JSON text. */
public final class PostgresDialect implements SqlDialect {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<TreeMap<String, String>> MAP = new TypeReference<>() {};

    @Override
    public String name() {
        return "postgresql";
    }

    @Override
    public String byFieldType() {
        return "JSONB";
    }

    @Override
    public Map<String, String> readByField(ResultSet rs, int column) throws SQLException {
        String text = rs.getString(column);
        if (text == null) {
            return null;
        }
        try {
            return new LinkedHashMap<>(JSON.readValue(text, MAP));
        } catch (JsonProcessingException e) {
            throw new SQLException("cannot decode by-field map " + text, e);
        }
    }

    @Override
    public String byFieldElement(String columnRef, String keyLiteral) {
        return "(" + columnRef + " ->> " + keyLiteral + ")";
    }

    @Override
    public String inTextArray(String columnRef) {
        return columnRef + " = ANY(?)";
    }

    @Override
    public void bindTextArray(Connection connection, PreparedStatement statement, int index, java.util.List<String> values)
            throws SQLException {
        statement.setArray(index, connection.createArrayOf("text", values.toArray()));
    }

    @Override
    public String sqlType(Class<?> javaType) {
        if (javaType == Long.class || javaType == Integer.class || javaType == Short.class) {
            return "BIGINT";
        }
        if (javaType == Double.class || javaType == Float.class) {
            return "DOUBLE PRECISION";
        }
        if (javaType == Boolean.class) {
            return "BOOLEAN";
        }
        return "TEXT";
    }

    /**
     * By SQLSTATE: connection exceptions (class 08) and the server going away (57P01 admin
     * shutdown, 57P02 crash shutdown, 57P03 cannot connect now) are connection failures; data
     * exceptions (class 22), a null in a NOT NULL column (23502), an undefined column (42703), a
     * datatype mismatch (42804), an operator that does not exist for the types (42883) and a
     * failed coercion (42846) are schema mismatches; syntax errors (42601), missing tables
     * (42P01) and the rest are neither.
     */
    @Override
    public Failure classify(SQLException e) {
        String state = e.getSQLState();
        if (state == null) {
            return Failure.OTHER;
        }
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
            return Failure.CONNECTION;
        }
        if (state.startsWith("22") || SCHEMA_STATES.contains(state)) {
            return Failure.SCHEMA;
        }
        return Failure.OTHER;
    }

    private static final java.util.Set<String> SCHEMA_STATES = java.util.Set.of("23502", "42703", "42804", "42883", "42846");

    @Override
    public String textOrder(String columnRef, String sqlType) {
        return ColumnKind.of(sqlType) == ColumnKind.TEXT ? columnRef + " COLLATE \"C\"" : columnRef;
    }
}
