package io.metaxy.flink.stream;

/**
 * An increment event ready for its topic {@code metaxy.<table>.increments}: key = the sample's
 * ids as canonical JSON, value = the event JSON (see {@link io.metaxy.flink.stream.operator.IncrementOperator}).
 */
public class IncrementRecord {
    public String topic;
    public String feature;
    public String kind;
    public String key;
    public String value;

    public IncrementRecord() {}

    public IncrementRecord(String topic, String feature, String kind, String key, String value) {
        this.topic = topic;
        this.feature = feature;
        this.kind = kind;
        this.key = key;
        this.value = value;
    }

    @Override
    public String toString() {
        return topic + " " + key + " " + value;
    }
}
