package io.metaxy.flink.store;

/** How a store is opened; Metaxy's {@code open("r")} and {@code open("w")}. */
public enum AccessMode {
    READ,
    WRITE
}
