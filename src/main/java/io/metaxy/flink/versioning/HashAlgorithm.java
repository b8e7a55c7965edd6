package io.metaxy.flink.versioning;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Hash functions for sample provenance, rendered as Metaxy renders them: xxhash variants as the
 * unsigned decimal string of the seed-0 hash, digests as lowercase hex.
 *
 * <pre>{@code
 * HashAlgorithm.XXHASH32.hash("predictions|__metaxy_initial__|examples/parent.embeddings|v1"); // "2450396…"
 * }</pre>
 */
public enum HashAlgorithm {
    XXHASH32("xxhash32") {
        @Override
        public String hash(byte[] bytes, int length) {
            return Long.toString(xxhash32(bytes, length));
        }
    },
    XXHASH64("xxhash64") {
        @Override
        public String hash(byte[] bytes, int length) {
            return Long.toUnsignedString(XX64.hash(bytes, 0, length, 0L));
        }
    },
    MD5("md5") {
        @Override
        public String hash(byte[] bytes, int length) {
            return digest(MD5_DIGEST, bytes, length);
        }
    },
    SHA256("sha256") {
        @Override
        public String hash(byte[] bytes, int length) {
            return digest(SHA256_DIGEST, bytes, length);
        }
    };

    private static final XXHash32 XX32 = XXHashFactory.fastestJavaInstance().hash32();
    private static final XXHash64 XX64 = XXHashFactory.fastestJavaInstance().hash64();
    private static final HexFormat HEX = HexFormat.of();
    // MessageDigest.getInstance walks the security providers; one reusable digest per thread instead.
    private static final ThreadLocal<MessageDigest> MD5_DIGEST = ThreadLocal.withInitial(() -> newDigest("MD5"));
    private static final ThreadLocal<MessageDigest> SHA256_DIGEST = ThreadLocal.withInitial(() -> newDigest("SHA-256"));

    private final String id;

    HashAlgorithm(String id) {
        this.id = id;
    }

    /** The name used in CLI flags and configuration, e.g. {@code xxhash32}. */
    public String id() {
        return id;
    }

    /**
     * xxhash32 of {@code bytes[0, length)} as its unsigned value, whose decimal rendering is
     * {@link #XXHASH32}'s hash: lets a SQL engine render (and truncate) it natively.
     */
    public static long xxhash32(byte[] bytes, int length) {
        return Integer.toUnsignedLong(XX32.hash(bytes, 0, length, 0));
    }

    /** The full (untruncated) rendering of the hash of {@code bytes[0, length)}. */
    public abstract String hash(byte[] bytes, int length);

    public String hash(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return hash(bytes, bytes.length);
    }

    public static HashAlgorithm fromId(String id) {
        for (HashAlgorithm algorithm : values()) {
            if (algorithm.id.equals(id.toLowerCase(Locale.ROOT))) {
                return algorithm;
            }
        }
        throw new IllegalArgumentException("unknown hash algorithm '" + id + "' (expected xxhash32, xxhash64, md5 or sha256)");
    }

    private static String digest(ThreadLocal<MessageDigest> local, byte[] bytes, int length) {
        MessageDigest digest = local.get();
        digest.reset();
        digest.update(bytes, 0, length);
        return HEX.formatHex(digest.digest());
    }

    private static MessageDigest newDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required by every Java platform", e);
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
