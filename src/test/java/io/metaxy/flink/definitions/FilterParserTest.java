package io.metaxy.flink.definitions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaxy.flink.definitions.FilterExpression.And;
import io.metaxy.flink.definitions.FilterExpression.Column;
import io.metaxy.flink.definitions.FilterExpression.Comparison;
import io.metaxy.flink.definitions.FilterExpression.In;
import io.metaxy.flink.definitions.FilterExpression.IsNull;
import io.metaxy.flink.definitions.FilterExpression.Literal;
import io.metaxy.flink.definitions.FilterExpression.Not;
import io.metaxy.flink.definitions.FilterExpression.Op;
import io.metaxy.flink.definitions.FilterExpression.Or;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FilterParserTest {
    private static Column col(String name) {
        return new Column(name);
    }

    private static Literal lit(Object value) {
        return new Literal(value);
    }

    @Test
    void parsesComparisonsLiteralsAndPrecedence() {
        assertThat(FilterParser.parse("age >= 25")).isEqualTo(new Comparison(col("age"), Op.GE, lit(25L)));
        assertThat(FilterParser.parse("status = 'active'")).isEqualTo(new Comparison(col("status"), Op.EQ, lit("active")));
        assertThat(FilterParser.parse("a != -1.5e2")).isEqualTo(new Comparison(col("a"), Op.NE, lit(-150.0)));
        assertThat(FilterParser.parse("a <> .5")).isEqualTo(new Comparison(col("a"), Op.NE, lit(0.5)));
        assertThat(FilterParser.parse("\"my col\"\"x\" < 'it''s'"))
                .isEqualTo(new Comparison(col("my col\"x"), Op.LT, lit("it's")));
        assertThat(FilterParser.parse("t.name <= FALSE")).isEqualTo(new Comparison(col("t.name"), Op.LE, lit(false)));
        // AND binds tighter than OR, NOT tighter than AND and looser than a comparison.
        assertThat(FilterParser.parse("a = 1 OR b = 2 AND NOT c > 3")).isEqualTo(new Or(
                new Comparison(col("a"), Op.EQ, lit(1L)),
                new And(new Comparison(col("b"), Op.EQ, lit(2L)), new Not(new Comparison(col("c"), Op.GT, lit(3L))))));
        assertThat(FilterParser.parse("(a = 1 or b = 2) and c")).isEqualTo(new And(
                new Or(new Comparison(col("a"), Op.EQ, lit(1L)), new Comparison(col("b"), Op.EQ, lit(2L))), col("c")));
        assertThat(FilterParser.parse("(a) > (1)")).isEqualTo(new Comparison(col("a"), Op.GT, lit(1L)));
        assertThat(FilterParser.parse("NOT is_active")).isEqualTo(new Not(col("is_active")));
        assertThat(FilterParser.parse("99999999999999999999 > 1")).isEqualTo(new Comparison(lit(1e20), Op.GT, lit(1L)));
    }

    @Test
    void parsesNullChecksAndInLikeMetaxy() {
        assertThat(FilterParser.parse("x IS NULL")).isEqualTo(new IsNull(col("x")));
        assertThat(FilterParser.parse("x is not null")).isEqualTo(new Not(new IsNull(col("x"))));
        // Metaxy rewrites = NULL / != NULL against a column to IS [NOT] NULL.
        assertThat(FilterParser.parse("deleted_at = NULL")).isEqualTo(new IsNull(col("deleted_at")));
        assertThat(FilterParser.parse("NULL != deleted_at")).isEqualTo(new Not(new IsNull(col("deleted_at"))));
        assertThat(FilterParser.parse("x < NULL")).isEqualTo(new Comparison(col("x"), Op.LT, Literal.NULL));
        assertThat(FilterParser.parse("x IS TRUE")).isEqualTo(new Comparison(col("x"), Op.EQ, lit(true)));
        assertThat(FilterParser.parse("x IS NOT FALSE")).isEqualTo(new Not(new Comparison(col("x"), Op.EQ, lit(false))));
        assertThat(FilterParser.parse("x IN (1, 'a', NULL, TRUE, -2)"))
                .isEqualTo(new In(col("x"), List.of(lit(1L), lit("a"), Literal.NULL, lit(true), lit(-2L))));
        assertThat(FilterParser.parse("x NOT IN ('a')")).isEqualTo(new Not(new In(col("x"), List.of(lit("a")))));
    }

    @Test
    void canonicalTextParsesBack() {
        for (String text : List.of("a = 1 OR b = 2 AND NOT c > 3", "x NOT IN ('a''b', 2.5, NULL)", "\"we\"\"ird\" IS NOT NULL",
                "NOT is_active", "x IS TRUE")) {
            FilterExpression parsed = FilterParser.parse(text);
            assertThat(FilterParser.parse(parsed.toText())).as(text).isEqualTo(parsed);
        }
    }

    @Test
    void errorsNameTheProblemAndItsPosition() {
        assertError("", "is empty");
        assertError("   ", "is empty");
        assertError("sample_uid >= = 2", "expected a column or a literal at position 15, found '='");
        assertError("a = 'open", "unterminated string starting at position 5");
        assertError("\"a = 1", "unterminated quoted column name starting at position 1");
        assertError("a = 1 b", "expected AND, OR or the end of the filter at position 7, found 'b'");
        assertError("(a = 1", "expected ')' (to close the '(' at position 1) at position 7, found the end of the filter");
        assertError("a IN ()", "expected a literal in the IN list");
        assertError("1 IN (1)", "the left side of IN must be a column (as in Metaxy) at position 1");
        assertError("a IN (b)", "expected a literal in the IN list (numbers, 'text', TRUE, FALSE or NULL) at position 7, found 'b'");
        assertError("a IN 1", "expected '(' after IN at position 6");
        assertError("a IS 5", "expected NULL, TRUE or FALSE after IS at position 6, found '5'");
        assertError("a = 1 = 2", "position 7");
        assertError("(a = 1) = 2", "operands of '=' must be columns or literals");
        assertError("a = - b", "expected a number after '-'");
        assertError("a LIKE 'x%'", "found 'LIKE'");
        assertError("a ! 1", "unexpected character '!'");
        assertError("a = 1; DROP TABLE t", "unexpected character ';' at position 6");
        assertError("a = 12abc", "malformed number '12a'");
        assertError("a = 1e999", "out of range");
        assertError("a AND", "expected a column or a literal at position 6, found the end of the filter");
        assertError("a.AND = 1", "expected a column name after '.'");
        assertError("\"\" = 1", "empty quoted column name");
    }

    private static void assertError(String text, String message) {
        assertThatThrownBy(() -> FilterParser.parse(text)).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("filter '" + text + "'").hasMessageContaining(message);
    }

    @Test
    void aBadFilterIsAGraphErrorNamingFeatureAndDep() {
        assertThatThrownBy(() -> GraphReader.parse("""
                features:
                  - key: example/up
                    fields: [a]
                  - key: example/down
                    deps:
                      - feature: example/up
                        filters: ["ok = 1", "size >= = 2"]
                    fields: [a]
                """)).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("feature 'example/down' dep on 'example/up': filter 'size >= = 2': expected a column or a literal"
                        + " at position 9, found '='");
        // A snapshot's sql_filters too, and a dep built in code names its upstream.
        assertThatThrownBy(() -> GraphReader.parse("""
                {"a/down": {"feature_spec": {"key": "a/down", "id_columns": ["sample_uid"], "fields": [{"key": "x", "code_version": "1"}],
                  "deps": [{"feature": "a/up", "filters": ["x IN ("]}]}},
                 "a/up": {"feature_spec": {"key": "a/up", "id_columns": ["sample_uid"], "fields": [{"key": "x", "code_version": "1"}], "deps": []}}}
                """)).isInstanceOf(DefinitionException.class).hasMessageContaining("feature 'a/down' dep on").hasMessageContaining("x IN (");
        assertThatThrownBy(() -> FeatureDep.on("a/up").filters(List.of("x >")).build()).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("dep on 'a/up': filter 'x >'");
    }

    @Test
    void depsKeepTheirStringsAndParseThem() {
        FeatureDep dep = FeatureDep.on("a/up").filters(List.of("x > 1", "y = 'b'")).build();
        assertThat(dep.filters()).containsExactly("x > 1", "y = 'b'");
        assertThat(dep.filter()).isEqualTo(new And(new Comparison(col("x"), Op.GT, lit(1L)), new Comparison(col("y"), Op.EQ, lit("b"))));
        assertThat(dep.filter().columns()).containsExactly("x", "y");
        assertThat(FeatureDep.on("a/up").build().filter()).isEqualTo(FilterExpression.ALWAYS);
        assertThat(FeatureDep.on("a/up").build().filter().matches(Map.of())).isTrue();
    }

    @Test
    void evaluatesWithThreeValuedLogic() {
        Map<String, Object> row = new HashMap<>();
        row.put("age", 30L);
        row.put("score", new BigDecimal("0.50"));
        row.put("ratio", 0.5);
        row.put("name", "Ann");
        row.put("ok", true);
        row.put("gone", null);
        assertThat(eval("age > 25 AND name = 'Ann'", row)).isTrue();
        assertThat(eval("age = 30.0 AND score = 0.5 AND ratio = score AND age = 30", row)).isTrue();
        assertThat(eval("gone = 1", row)).isNull();
        assertThat(eval("missing <> 1", row)).isNull();
        assertThat(eval("NOT (gone = 1)", row)).isNull();
        assertThat(eval("gone = 1 AND age < 0", row)).isFalse();
        assertThat(eval("gone = 1 OR age > 0", row)).isTrue();
        assertThat(eval("gone IS NULL AND missing IS NULL AND age IS NOT NULL", row)).isTrue();
        assertThat(eval("age IN (1, NULL)", row)).isNull();
        assertThat(eval("age IN (1, NULL, 30)", row)).isTrue();
        assertThat(eval("age NOT IN (1, NULL)", row)).isNull();
        assertThat(eval("age NOT IN (1, 2)", row)).isTrue();
        // A string literal reads as the other side's number or boolean; other mixed kinds are unknown.
        assertThat(eval("age = '30' AND ok = 'TRUE' AND '30' = age", row)).isTrue();
        assertThat(eval("age = 'thirty'", row)).isNull();
        assertThat(eval("name = 5", row)).isNull();
        assertThat(eval("name = age", row)).isNull();
        // Bare booleans; a non-boolean as a condition is unknown.
        assertThat(eval("ok AND NOT FALSE", row)).isTrue();
        assertThat(eval("name", row)).isNull();
        assertThat(eval("ok IS TRUE", row)).isTrue();
        assertThat(eval("gone IS NOT TRUE", row)).isNull();
        // Code point order, not UTF-16 units: U+FFFD sorts before U+1F600.
        assertThat(FilterParser.parse("name < '\uD83D\uDE00'").evaluate(Map.of("name", "\uFFFD"))).isTrue();
        assertThat(FilterParser.parse("x = x").evaluate(Map.of("x", Double.NaN))).isTrue();
        assertThat(FilterParser.parse("x > 1e300").evaluate(Map.of("x", Double.NaN))).isTrue();
        assertThat(FilterParser.parse("x = 0").evaluate(Map.of("x", -0.0))).isTrue();
        assertThat(FilterParser.parse("x > 9007199254740992").evaluate(Map.of("x", 9007199254740993L))).isTrue();
        assertThat(FilterParser.parse("x > 9007199254740992.0").evaluate(Map.of("x", 9007199254740993L))).isFalse();
    }

    private static Boolean eval(String filter, Map<String, Object> row) {
        return FilterParser.parse(filter).evaluate(row);
    }

    @Test
    void expressionsAreSerializable() throws Exception {
        FilterExpression f = FilterParser.parse("a IN (1, 'x', NULL) AND NOT b IS NULL OR c <= 2.5");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(f);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(f);
        }
    }
}
