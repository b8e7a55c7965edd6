package io.metaxy.flink.versioning;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class IdValueOrderProperties {
    private static final IdValueOrder ORDER = IdValueOrder.INSTANCE;

    @Property(tries = 2000)
    void isAConsistentTotalOrder(@ForAll("ids") Object a, @ForAll("ids") Object b, @ForAll("ids") Object c) {
        assertThat(Integer.signum(ORDER.compare(a, b))).isEqualTo(-Integer.signum(ORDER.compare(b, a)));
        if (ORDER.compare(a, b) <= 0 && ORDER.compare(b, c) <= 0) {
            assertThat(ORDER.compare(a, c)).as("%s <= %s <= %s", a, b, c).isLessThanOrEqualTo(0);
        }
        if (ORDER.compare(a, b) == 0) {
            assertThat(Integer.signum(ORDER.compare(a, c))).isEqualTo(Integer.signum(ORDER.compare(b, c)));
        }
    }

    /** Same-kind values keep the order the stores' SQL gives one column: numeric, or text by code units. */
    @Property(tries = 2000)
    void sameKindValuesOrderLikeTheirColumn(@ForAll("finiteNumbers") Number x, @ForAll("finiteNumbers") Number y,
            @ForAll("texts") String s, @ForAll("texts") String t) {
        assertThat(Integer.signum(ORDER.compare(x, y)))
                .isEqualTo(Integer.signum(new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString()))));
        assertThat(Integer.signum(ORDER.compare(s, t))).isEqualTo(Integer.signum(s.compareTo(t)));
        assertThat(ORDER.compare(null, x)).isNegative();
        assertThat(ORDER.compare(x, s)).isNegative();
    }

    @Property(tries = 300)
    void sortingIsIndependentOfInputOrder(@ForAll("idLists") List<Object> values, @ForAll long seed) {
        List<Object> sorted = new ArrayList<>(values);
        sorted.sort(ORDER);
        List<Object> shuffled = new ArrayList<>(values);
        Collections.shuffle(shuffled, new java.util.Random(seed));
        shuffled.sort(ORDER);
        for (int i = 0; i < sorted.size(); i++) {
            assertThat(ORDER.compare(sorted.get(i), shuffled.get(i))).isZero();
        }
    }

    @Property(tries = 50)
    void specialDoublesSurroundTheFiniteNumbers(@ForAll("finiteNumbers") Number x) {
        assertThat(ORDER.compare(Double.NEGATIVE_INFINITY, x)).isNegative();
        assertThat(ORDER.compare(x, Float.POSITIVE_INFINITY)).isNegative();
        assertThat(ORDER.compare(Double.POSITIVE_INFINITY, Double.NaN)).isNegative();
        assertThat(ORDER.compare(Double.NaN, Float.NaN)).isZero();
    }

    @Provide
    Arbitrary<List<Object>> idLists() {
        return ids().list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<Object> ids() {
        return Arbitraries.oneOf(finiteNumbers().map(n -> n), texts().map(s -> s), Arbitraries.just(null),
                Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Float.NaN, -0.0, 0.0f));
    }

    @Provide
    Arbitrary<Number> finiteNumbers() {
        Arbitrary<Long> small = Arbitraries.longs().between(-20, 20);
        return Arbitraries.oneOf(
                small.map(Long::intValue),
                small,
                Arbitraries.longs(),
                small.map(Long::shortValue),
                Arbitraries.integers().between(-2000, 2000).map(i -> i / 100.0),
                Arbitraries.doubles().between(-1e6, 1e6),
                Arbitraries.integers().between(-2000, 2000).map(i -> i / 100.0f),
                Arbitraries.bigIntegers().between(BigInteger.valueOf(Long.MAX_VALUE).negate().multiply(BigInteger.TEN),
                        BigInteger.valueOf(Long.MAX_VALUE).multiply(BigInteger.TEN)),
                Arbitraries.integers().between(-2000, 2000).map(i -> BigDecimal.valueOf(i, 2)));
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.oneOf(Arbitraries.strings().withChars("0123456789.-ab").ofMaxLength(5),
                Arbitraries.strings().all().ofMaxLength(4));
    }
}
