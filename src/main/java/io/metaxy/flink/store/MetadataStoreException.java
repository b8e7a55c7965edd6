package io.metaxy.flink.store;

/** Base of every failure a {@link MetadataStore} reports; subclasses name the cause. */
public class MetadataStoreException extends RuntimeException {
    public MetadataStoreException(String message) {
        super(message);
    }

    public MetadataStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
