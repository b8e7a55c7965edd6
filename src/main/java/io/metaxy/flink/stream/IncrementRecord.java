package io.metaxy.flink.stream;

import java.nio.charset.StandardCharsets;

/**
 * An increment event ready for its topic {@code metaxy.<table>.increments}: key = the sample's
 * ids as canonical JSON, value = the event JSON as the UTF-8 bytes the record carries, rendered
 * once by the operator (see {@link io.metaxy.flink.stream.operator.IncrementOperator}).
 */
public class IncrementRecord {
    public String topic;
    public String feature;
    public String kind;
    public String key;
    public byte[] value;

    public IncrementRecord() {}

    public IncrementRecord(String topic, String feature, String kind, String key, byte[] value) {
        this.topic = topic;
        this.feature = feature;
        this.kind = kind;
        this.key = key;
        this.value = value;
    }

    /** The value as text (tests, logs). */
    public String valueText() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return topic + " " + key + " " + valueText();
    }
}
