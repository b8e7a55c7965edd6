package io.metaxy.flink.stream;

/** A record that cannot be accepted; the message is the dead-letter reason. */
public class InvalidRecordException extends Exception {
    private final String feature;

    public InvalidRecordException(String feature, String reason) {
        super(reason, null, false, false);
        this.feature = feature;
    }

    public String feature() {
        return feature;
    }
}
