package io.metaxy.flink.definitions;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.versioning.DefinitionVersions;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class GraphReaderProperties {
    /** YAML's null words: an unquoted null means "no code version", not the text. */
    private static final Set<String> NULL_WORDS = Set.of("null", "Null", "NULL");

    /**
     * An unquoted code_version reads exactly as written — whatever YAML's implicit typing makes of
     * it (ints, octal, hex, floats, .inf, yes/no/on/off, 1_000, 1:20) — and versions like the quoted text.
     */
    @Property(tries = 400)
    void unquotedCodeVersionIsTheWrittenText(@ForAll("plainScalars") String written) {
        FeatureGraph unquoted = GraphReader.parse(graph(written));
        FeatureGraph quoted = GraphReader.parse(graph("'" + written + "'"));
        FieldSpec field = unquoted.spec("a").fields().get(0);
        assertThat(field.codeVersion()).isEqualTo(written);
        assertThat(DefinitionVersions.of(unquoted).fieldVersion(FeatureKey.of("a"), FieldKey.of("x")))
                .isEqualTo(DefinitionVersions.of(quoted).fieldVersion(FeatureKey.of("a"), FieldKey.of("x")));
    }

    @Provide
    Arbitrary<String> plainScalars() {
        Arbitrary<String> tricky = Arbitraries.of("1", "1.10", "010", "0o17", "0x1F", "1_000", "1e3", "-0", "+1", ".5", "1.",
                ".inf", "-.Inf", ".NaN", "yes", "No", "on", "OFF", "y", "n", "true", "True", "FALSE", "1:20", "2024-01-01",
                "9223372036854775808", "0.1e-2", "00");
        Arbitrary<String> first = Arbitraries.strings().withChars("0123456789.+aeflnorstuxyNOTY").ofLength(1);
        Arbitrary<String> middle = Arbitraries.strings().withChars("0123456789._+-:eExXoObBaflnorstuyNOTY").ofMinLength(0).ofMaxLength(6);
        Arbitrary<String> last = Arbitraries.strings().withChars("0123456789._eflnorstuy").ofLength(1);
        Arbitrary<String> random = Combinators.combine(first, middle, last).as((a, b, c) -> a + b + c);
        return Arbitraries.oneOf(tricky, random).filter(s -> !NULL_WORDS.contains(s));
    }

    private static String graph(String codeVersion) {
        return "features:\n  - key: a\n    fields:\n      - key: x\n        code_version: " + codeVersion + "\n";
    }
}
