package io.metaxy.flink.versioning;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Known answers from sources independent of the libraries used here:
 * <ul>
 *   <li>xxhash32 / xxhash64: the seed-0 vectors of xxHash's own self-test
 *       ({@code cli/xsum_sanity_check.c} in github.com/Cyan4973/xxHash, arrays
 *       {@code XSUM_XXH32_testdata} / {@code XSUM_XXH64_testdata}), over its generated buffer;</li>
 *   <li>md5 / sha256: Python's {@code hashlib} ({@code hashlib.md5(s.encode()).hexdigest()}).</li>
 * </ul>
 */
class HashAlgorithmTest {
    private static final String DESIGN_EXAMPLE = "predictions|__metaxy_initial__|examples/parent.embeddings|v1";

    /** xxsum's PRIME64 (note: not xxHash's PRIME64_1), 11400714785074694797. */
    private static final long PRIME64 = Long.parseUnsignedLong("11400714785074694797");

    /** xxHash's sanity buffer: byte i is the top byte of PRIME32 * PRIME64^i (mod 2^64). */
    private static byte[] sanityBuffer(int length) {
        byte[] buffer = new byte[length];
        long generator = 2654435761L;
        for (int i = 0; i < length; i++) {
            buffer[i] = (byte) (generator >>> 56);
            generator *= PRIME64;
        }
        return buffer;
    }

    @Test
    void xxhash64MatchesTheReferenceSelfTest() {
        byte[] buffer = sanityBuffer(222);
        assertThat(HashAlgorithm.XXHASH64.hash(buffer, 0)).isEqualTo(Long.toUnsignedString(0xEF46DB3751D8E999L));
        assertThat(HashAlgorithm.XXHASH64.hash(buffer, 1)).isEqualTo(Long.toUnsignedString(0xE934A84ADB052768L));
        assertThat(HashAlgorithm.XXHASH64.hash(buffer, 4)).isEqualTo(Long.toUnsignedString(0x9136A0DCA57457EEL));
        assertThat(HashAlgorithm.XXHASH64.hash(buffer, 14)).isEqualTo(Long.toUnsignedString(0x8282DCC4994E35C8L));
        assertThat(HashAlgorithm.XXHASH64.hash(buffer, 222)).isEqualTo(Long.toUnsignedString(0xB641AE8CB691C174L));
        // Unsigned rendering: the top bit of this hash is set.
        assertThat(HashAlgorithm.XXHASH64.hash(buffer, 0)).isEqualTo("17241709254077376921");
    }

    @Test
    void xxhash32MatchesTheReferenceSelfTest() {
        byte[] buffer = sanityBuffer(222);
        assertThat(HashAlgorithm.XXHASH32.hash(buffer, 0)).isEqualTo(Integer.toUnsignedString(0x02CC5D05));
        assertThat(HashAlgorithm.XXHASH32.hash(buffer, 1)).isEqualTo(Integer.toUnsignedString(0xCF65B03E));
        assertThat(HashAlgorithm.XXHASH32.hash(buffer, 14)).isEqualTo(Integer.toUnsignedString(0x1208E7E2));
        assertThat(HashAlgorithm.XXHASH32.hash(buffer, 222)).isEqualTo(Integer.toUnsignedString(0x5BD11DBD));
    }

    @Test
    void md5AndSha256MatchPythonHashlib() {
        assertThat(HashAlgorithm.MD5.hash("")).isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
        assertThat(HashAlgorithm.MD5.hash(DESIGN_EXAMPLE)).isEqualTo("3015aac673e7cb88ce921b1380f811e0");
        assertThat(HashAlgorithm.MD5.hash("café|漢字")).isEqualTo("a7cd6bd6652bd172abcd41f70fb17401");
        assertThat(HashAlgorithm.SHA256.hash("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(HashAlgorithm.SHA256.hash(DESIGN_EXAMPLE))
                .isEqualTo("6a155a4cb3f332ad4df3369e26b82c8e820dbec489e678ad4e6bb6f0e6906400");
        assertThat(HashAlgorithm.SHA256.hash("café|漢字"))
                .isEqualTo("9901c4e1aac3c6c77742f93b6dfdf059ec22680cd75e2f66e5573f0a1fcaf01b");
    }

    @Test
    void digestsHashOnlyThePrefixAndDoNotCarryStateBetweenCalls() {
        byte[] ab = "a|b|junk".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 3; i++) {
            assertThat(HashAlgorithm.MD5.hash(ab, 3)).isEqualTo("d0726241020676b14aa6298ce6a18b21");
            assertThat(HashAlgorithm.SHA256.hash(ab, 3)).isEqualTo("0eab8a0a3380abf4c7d1fb0b43b66aafbb64a4b953e4eb2dccca579461912d0c");
        }
    }

    @Test
    void truncationKeepsTheWholeRenderingWhenShorter() {
        assertThat(new SampleHasher(HashAlgorithm.SHA256, 100).hash("a|b")).hasSize(64);
        assertThat(new SampleHasher(HashAlgorithm.XXHASH64, 12).hash("a|b"))
                .isEqualTo(HashAlgorithm.XXHASH64.hash("a|b").substring(0, 12));
    }
}
