package io.metaxy.flink.stream;

/**
 * A record as read from a feature topic, before any parsing: where it came from and its bytes.
 * A null {@link #value} is a tombstone (hard delete).
 *
 * <pre>{@code
 * RawRecord r = RawRecord.of("metaxy.example__video", 0, 42L, "{\"sample_uid\":1}", "{...}");
 * }</pre>
 */
public class RawRecord {
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    public byte[] key;
    public byte[] value;
    /**
     * Read from the metadata store by a bootstrap ({@code StoreSeedSource}), not from Kafka: it
     * fills only empty state slots, announces nothing by itself and is never stored again.
     */
    public boolean seed;

    public RawRecord() {}

    public static RawRecord of(String topic, int partition, long offset, String key, String value) {
        RawRecord r = new RawRecord();
        r.topic = topic;
        r.partition = partition;
        r.offset = offset;
        r.timestamp = 0L;
        r.key = key == null ? null : key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        r.value = value == null ? null : value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return r;
    }

    @Override
    public String toString() {
        return topic + "/" + partition + "@" + offset;
    }
}
