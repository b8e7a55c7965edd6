package io.metaxy.flink.stream;

/** What a metadata record does to its sample: write it, soft-delete it or hard-delete it. */
public enum RowOp {
    UPSERT,
    SOFT_DELETE,
    HARD_DELETE;

    public boolean isDelete() {
        return this != UPSERT;
    }
}
