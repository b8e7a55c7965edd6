package io.metaxy.flink.store;

/** SOFT appends tombstone rows (history kept, sample hidden); HARD removes rows physically. */
public enum DeleteMode {
    SOFT,
    HARD
}
