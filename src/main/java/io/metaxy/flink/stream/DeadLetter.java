package io.metaxy.flink.stream;

/**
 * An input record the job refused: the reason (naming feature, column and problem) and where the
 * record came from. Written to the dead-letter topic as JSON with the original key.
 */
public class DeadLetter {
    public String reason;
    public String feature;
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    /** The start of the refused value as text (bounded, for humans). */
    public String valuePreview;

    public DeadLetter() {}

    @Override
    public String toString() {
        return topic + "/" + partition + "@" + offset + ": " + reason;
    }
}
