package io.metaxy.flink.store;

/** A write, delete or drop was attempted on a store opened with {@link AccessMode#READ}. */
public class ReadOnlyStoreException extends MetadataStoreException {
    public ReadOnlyStoreException(String message) {
        super(message);
    }
}
