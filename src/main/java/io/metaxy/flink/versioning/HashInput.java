package io.metaxy.flink.versioning;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A reusable UTF-8 byte buffer for building hash inputs without a String per call. Not
 * thread-safe: {@link ProvenanceCalculator} keeps one per thread.
 */
final class HashInput {
    private byte[] bytes = new byte[256];
    private int size;

    HashInput reset() {
        size = 0;
        return this;
    }

    HashInput append(byte[] fixed) {
        ensure(fixed.length);
        System.arraycopy(fixed, 0, bytes, size, fixed.length);
        size += fixed.length;
        return this;
    }

    HashInput append(String text) {
        int n = text.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                // Rare non-ASCII text: fall back to the JDK encoder for exact UTF-8.
                return appendEncoded(text.substring(i));
            }
            bytes[size++] = (byte) c;
        }
        return this;
    }

    HashInput separator() {
        ensure(1);
        bytes[size++] = '|';
        return this;
    }

    String hash(SampleHasher hasher) {
        return hasher.hash(bytes, size);
    }

    private HashInput appendEncoded(String rest) {
        return append(rest.getBytes(StandardCharsets.UTF_8));
    }

    private void ensure(int extra) {
        if (size + extra > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + extra));
        }
    }
}
