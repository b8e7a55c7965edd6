package io.metaxy.flink.store.sql;

import io.metaxy.flink.versioning.SampleHasher;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/** What differs between the SQL backends; everything else is shared in {@link SqlMetadataStore}. */
public interface SqlDialect {

    /** A short name for messages, e.g. {@code duckdb}. */
    String name();

    /** Column type of the by-field system columns. */
    String byFieldType();

    /** Column type of the by-field system columns of a new table whose feature has {@code fields}. */
    default String byFieldType(List<String> fields) {
        return byFieldType();
    }

    /**
     * A statement that lets the by-field column {@code column} (of type {@code columnType}) of
     * {@code table} (quoted) hold {@code fields}, or null when it already can.
     */
    default String widenByField(String table, String column, String columnType, List<String> fields) {
        return null;
    }

    /**
     * SQL selecting the timestamp column {@code columnRef} in the form {@link #readTimestamp}
     * reads; the column keeps its name through an alias.
     */
    default String selectTimestamp(String columnRef) {
        return columnRef;
    }

    /** Reads a timestamp selected with {@link #selectTimestamp}; null stays null. */
    default java.time.Instant readTimestamp(ResultSet rs, int column) throws SQLException {
        java.time.OffsetDateTime value = rs.getObject(column, java.time.OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /** Reads a by-field column. */
    Map<String, String> readByField(ResultSet rs, int column) throws SQLException;

    /** SQL for the value of {@code key} in the by-field column {@code columnRef}; key is a safe literal. */
    String byFieldElement(String columnRef, String keyLiteral);

    /** A predicate "column is one of the strings bound to the single placeholder" (see {@link #bindTextArray}). */
    String inTextArray(String columnRef);

    void bindTextArray(Connection connection, PreparedStatement statement, int index, List<String> values) throws SQLException;

    /** SQL type for a user or id column holding values of this Java class. */
    String sqlType(Class<?> javaType);

    /**
     * SQL computing {@code hasher}'s rendering of the text expression {@code argument} (UTF-8
     * bytes, truncated like {@link io.metaxy.flink.versioning.SampleHasher}), or null when this
     * backend cannot: resolveUpdate then hashes in Java over the joined rows.
     * {@link #prepareHash} has run on the connection before the expression is used.
     */
    default String hashSql(io.metaxy.flink.versioning.SampleHasher hasher, String argument) {
        return null;
    }

    /** Makes {@link #hashSql} usable on {@code connection} (e.g. registers a function); called once per store. */
    default void prepareHash(Connection connection, io.metaxy.flink.versioning.SampleHasher hasher) throws SQLException {}

    /** What a database error means for the caller; see {@link #classify}. */
    enum Failure {
        /** The connection is gone or unusable: reopen the store. */
        CONNECTION,
        /** The data does not fit the table: a value the column cannot hold, a missing column, a type mismatch. */
        SCHEMA,
        /** Anything else (a syntax error, a missing table, a bug): reported as it is. */
        OTHER
    }

    /** Classifies a failure of this backend. */
    Failure classify(SQLException e);

    /** An ORDER BY term that sorts text as Java's String.compareTo (code units), e.g. with a C collation. */
    default String textOrder(String columnRef, String sqlType) {
        return columnRef;
    }

    /**
     * Whether {@code latestRows} should rank only the samples that have more than one row: a
     * window over every row sorts the whole table on seven keys, while a sample with one row is
     * its own latest. DuckDB: the ranking was most of a resolve's cost. PostgreSQL plans its
     * window well enough and keeps the plain form.
     */
    default boolean ranksOnlyDuplicates() {
        return false;
    }

    /**
     * Whether the SQL hash of {@code hasher} renders as decimal digits with no leading zero
     * (xxhash32's number, truncated): then its text read as a BIGINT renders back to the same
     * text, and resolveUpdate moves the hashes it computes as numbers, which duckdb_jdbc reads
     * several times faster than text.
     */
    default boolean decimalHash(SampleHasher hasher) {
        return false;
    }
}
