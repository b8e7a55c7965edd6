package io.metaxy.flink.store;

/** The feature named in a call is not part of the store's feature graph. */
public class UnknownFeatureException extends MetadataStoreException {
    public UnknownFeatureException(String message) {
        super(message);
    }
}
