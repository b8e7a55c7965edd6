package io.metaxy.flink.store;

/**
 * Rows or a table do not fit the feature's spec: a missing or null id column, a non-root row
 * without provenance, a by-field map whose keys are not the spec's fields, a column name that
 * cannot be an identifier, or a value whose type the table column cannot hold.
 */
public class SchemaMismatchException extends MetadataStoreException {
    public SchemaMismatchException(String message) {
        super(message);
    }

    public SchemaMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
