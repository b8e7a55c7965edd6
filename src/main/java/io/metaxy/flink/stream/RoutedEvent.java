package io.metaxy.flink.stream;

/**
 * A stamped row delivered to one feature's keyed state: as that feature's own write
 * ({@link #depIndex} = {@link #SELF}) or as the row of its parent through dep {@link #depIndex}.
 * Keyed by {@link #key} = target feature and lineage key (the target sample's ids for 1:1).
 */
public class RoutedEvent {
    public static final int SELF = -1;

    public String key;
    public String target;
    public int depIndex;
    public RowOp op;
    public String featureVersion;
    public String provenance;
    /** Data versions ordered like the source feature's fields. */
    public String[] dataVersionByField;
    /** Selected (renamed) upstream user columns as a JSON object; only for parent rows. */
    public String columnsJson;
    /**
     * For an N:1 dep: the parent row's own ids (a member of the group); for a write of a 1:N
     * feature: the child row's ids (the key is its parent's); null otherwise.
     */
    public String memberIdsJson;
    /** The target sample's ids as canonical JSON. */
    public String idsJson;
    public String topic;
    public int partition;
    public long offset;

    public RoutedEvent() {}

    public static String keyOf(String feature, String lineageKey) {
        return feature + '\u0000' + lineageKey;
    }

    @Override
    public String toString() {
        return target + (depIndex == SELF ? " self " : " dep" + depIndex + " ") + op + " " + idsJson;
    }
}
