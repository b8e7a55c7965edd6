package io.metaxy.flink.store;

/** The store could not be reached or opened (bad URL, server down, file locked, I/O error). */
public class StoreConnectionException extends MetadataStoreException {
    public StoreConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
