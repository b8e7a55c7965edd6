package io.metaxy.flink.cli;

import io.metaxy.flink.versioning.HashAlgorithm;
import io.metaxy.flink.versioning.SampleHasher;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parse-time checks of {@code --hash} and {@code --hash-length}, so a bad value is a usage error
 * (exit 2) before any graph is read.
 *
 * <pre>{@code
 * @Option(names = "--hash-length", defaultValue = "8", converter = HashOptionConverters.Length.class)
 * int hashLength;
 * }</pre>
 */
final class HashOptionConverters {
    private HashOptionConverters() {}

    /** A truncation length: an integer of at least {@link SampleHasher#MIN_LENGTH}. */
    static final class Length implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int length;
            try {
                length = Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not an integer");
            }
            if (length < SampleHasher.MIN_LENGTH) {
                throw new TypeConversionException("must be at least " + SampleHasher.MIN_LENGTH + ", got " + length);
            }
            return length;
        }
    }

    /** A hash algorithm by its id: xxhash32, xxhash64, md5 or sha256. */
    static final class Algorithm implements ITypeConverter<HashAlgorithm> {
        @Override
        public HashAlgorithm convert(String value) {
            try {
                return HashAlgorithm.fromId(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
