package io.metaxy.flink.versioning;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A hash algorithm plus the truncation length applied to its rendering (Metaxy's
 * {@code hash_truncation_length}: 8 by default, never below 8).
 *
 * <pre>{@code
 * SampleHasher hasher = SampleHasher.DEFAULT;             // xxhash32, 8 characters
 * SampleHasher sha = new SampleHasher(HashAlgorithm.SHA256, 16);
 * hasher.hash("a|b");
 * }</pre>
 */
public record SampleHasher(HashAlgorithm algorithm, int length) implements Serializable {
    public static final int MIN_LENGTH = 8;
    public static final SampleHasher DEFAULT = new SampleHasher(HashAlgorithm.XXHASH32, MIN_LENGTH);

    public SampleHasher {
        Objects.requireNonNull(algorithm, "algorithm");
        if (length < MIN_LENGTH) {
            throw new IllegalArgumentException("hash truncation length must be at least " + MIN_LENGTH + ", got " + length);
        }
    }

    public static SampleHasher of(HashAlgorithm algorithm) {
        return new SampleHasher(algorithm, MIN_LENGTH);
    }

    public String hash(byte[] bytes, int count) {
        return truncate(algorithm.hash(bytes, count));
    }

    public String hash(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return hash(bytes, bytes.length);
    }

    String truncate(String rendered) {
        return rendered.length() <= length ? rendered : rendered.substring(0, length);
    }
}
