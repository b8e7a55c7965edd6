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
    public String byFieldPlaceholder(java.util.List<String> fields) {
        return "?::jsonb";
    }

    @Override
    public int bindByField(PreparedStatement statement, int index, java.util.List<String> fields, Map<String, String> value)
            throws SQLException {
        try {
            statement.setString(index, value == null ? null : JSON.writeValueAsString(new TreeMap<>(value)));
        } catch (JsonProcessingException e) {
            throw new SQLException("cannot encode by-field map " + value, e);
        }
        return index + 1;
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

    @Override
    public String textOrder(String columnRef, String sqlType) {
        return ColumnKind.of(sqlType) == ColumnKind.TEXT ? columnRef + " COLLATE \"C\"" : columnRef;
    }
}
