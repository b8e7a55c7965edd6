package io.metaxy.flink.definitions;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A parsed dependency filter (Metaxy's {@code FeatureDep.filters} / {@code sql_filters}): a SQL
 * {@code WHERE}-like boolean expression over one upstream row, evaluated <em>after</em> the dep's
 * {@code rename}, so it names columns by the names the child sees. Built by {@link FilterParser};
 * the syntax is in {@code docs/filters.md}.
 *
 * <pre>{@code
 * FilterExpression f = FilterExpression.parse("age >= 25 AND status NOT IN ('deleted', 'banned')");
 * f.matches(Map.of("age", 30L, "status", "active"));   // true
 * f.matches(Map.of("status", "active"));               // false: age is missing, i.e. NULL, so the AND is unknown
 * f.evaluate(Map.of("status", "active"));              // null (unknown)
 * }</pre>
 *
 * <p>Semantics are SQL's three-valued logic: a comparison with NULL is unknown, {@code NOT}
 * unknown is unknown, {@code FALSE AND unknown} is FALSE, {@code TRUE OR unknown} is TRUE, and a
 * row matches only when the whole expression is TRUE. A column missing from the row is NULL.
 * Values are of three kinds:
 * <ul>
 *   <li>numbers (any {@link Number}: Long, Integer, Double, BigDecimal, …) compare numerically;
 *       when either side is a Double or Float both compare as doubles (as SQL casts DECIMAL and
 *       BIGINT to DOUBLE), otherwise exactly; NaN equals NaN and is above every other number,
 *       and -0.0 equals 0.0 (DuckDB's and PostgreSQL's order);</li>
 *   <li>text ({@link String}) compares by Unicode code point (byte order of UTF-8: DuckDB's
 *       default, PostgreSQL's {@code COLLATE "C"});</li>
 *   <li>booleans compare with FALSE below TRUE.</li>
 * </ul>
 * Comparing values of different kinds is unknown (NULL), with one exception taken from SQL's
 * untyped string literals: a <em>string literal</em> compared with a number reads as that number
 * ({@code age >= '25'} is {@code age >= 25}) and one compared with a boolean reads as
 * {@code 'true'}/{@code 'false'} (any case); a literal that does not read so is unknown. A number
 * literal compared with a text value is unknown ({@code name = 5} never matches), and so is any
 * comparison of a value of another type (timestamps, maps, …). Such a comparison is never an
 * error: a stream cannot fail on one row's value.
 *
 * <p>Instances are immutable, {@link Serializable} and compare by structure.
 */
public sealed interface FilterExpression extends Serializable {

    /** Comparison operators with their SQL spelling. */
    enum Op {
        EQ("="), NE("<>"), LT("<"), LE("<="), GT(">"), GE(">=");

        private final String sql;

        Op(String sql) {
            this.sql = sql;
        }

        public String sql() {
            return sql;
        }

        boolean test(int comparison) {
            return switch (this) {
                case EQ -> comparison == 0;
                case NE -> comparison != 0;
                case LT -> comparison < 0;
                case LE -> comparison <= 0;
                case GT -> comparison > 0;
                case GE -> comparison >= 0;
            };
        }
    }

    /** A literal TRUE: the filter of a dep without filters. */
    Literal ALWAYS = new Literal(Boolean.TRUE);

    /** Parses one filter string; a {@link DefinitionException} names the problem and its position. */
    static FilterExpression parse(String text) {
        return FilterParser.parse(text);
    }

    /** The conjunction of {@code filters} ({@link #ALWAYS} when empty, the filter itself when one). */
    static FilterExpression allOf(List<FilterExpression> filters) {
        if (filters.isEmpty()) {
            return ALWAYS;
        }
        FilterExpression out = filters.get(0);
        for (FilterExpression f : filters.subList(1, filters.size())) {
            out = new And(out, f);
        }
        return out;
    }

    /**
     * This expression's truth for {@code row} (column name → value; a missing column is NULL):
     * TRUE, FALSE or null for unknown. An operand used as a condition (a bare column or literal)
     * is its value when that is a boolean, else unknown.
     */
    Boolean evaluate(Map<String, ?> row);

    /** Whether {@code row} passes: the expression is TRUE (FALSE and unknown both reject it). */
    default boolean matches(Map<String, ?> row) {
        return Boolean.TRUE.equals(evaluate(row));
    }

    /** The column names this expression reads, in first-mention order. */
    default Set<String> columns() {
        Set<String> out = new LinkedHashSet<>();
        collectColumns(this, out);
        return out;
    }

    /** Canonical text that {@link FilterParser} parses back to an equal expression (fully parenthesised). */
    String toText();

    private static void collectColumns(FilterExpression e, Set<String> out) {
        if (e instanceof Column c) {
            out.add(c.name());
        } else if (e instanceof Comparison c) {
            collectColumns(c.left(), out);
            collectColumns(c.right(), out);
        } else if (e instanceof In in) {
            collectColumns(in.operand(), out);
        } else if (e instanceof IsNull n) {
            collectColumns(n.operand(), out);
        } else if (e instanceof Not n) {
            collectColumns(n.operand(), out);
        } else if (e instanceof And a) {
            collectColumns(a.left(), out);
            collectColumns(a.right(), out);
        } else if (e instanceof Or o) {
            collectColumns(o.left(), out);
            collectColumns(o.right(), out);
        }
    }

    /** A column or a literal: a value, usable as a condition when it is a boolean. */
    sealed interface Operand extends FilterExpression permits Column, Literal {
        /** The operand's value in {@code row}; null for NULL. */
        Object value(Map<String, ?> row);

        @Override
        default Boolean evaluate(Map<String, ?> row) {
            return value(row) instanceof Boolean b ? b : null;
        }
    }

    /** A column by its post-rename name. */
    record Column(String name) implements Operand {
        public Column {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("column name must not be empty");
            }
        }

        @Override
        public Object value(Map<String, ?> row) {
            return row.get(name);
        }

        @Override
        public String toText() {
            return "\"" + name.replace("\"", "\"\"") + "\"";
        }
    }

    /** A literal: Long, Double, String, Boolean, or null for NULL. */
    record Literal(Object value) implements Operand {
        public static final Literal NULL = new Literal(null);

        public Literal {
            if (value != null && !(value instanceof Long || value instanceof Double || value instanceof String
                    || value instanceof Boolean)) {
                throw new IllegalArgumentException("a literal is a Long, Double, String, Boolean or null, got "
                        + value.getClass().getSimpleName());
            }
        }

        @Override
        public Object value(Map<String, ?> row) {
            return value;
        }

        @Override
        public String toText() {
            if (value == null) {
                return "NULL";
            }
            if (value instanceof String s) {
                return "'" + s.replace("'", "''") + "'";
            }
            if (value instanceof Boolean b) {
                return b ? "TRUE" : "FALSE";
            }
            if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
                throw new IllegalStateException("no literal spells " + d);
            }
            return value.toString();
        }
    }

    /** {@code left op right}. */
    record Comparison(Operand left, Op op, Operand right) implements FilterExpression {
        public Comparison {
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(right, "right");
        }

        @Override
        public Boolean evaluate(Map<String, ?> row) {
            Integer c = Values.compare(left.value(row), left instanceof Literal, right.value(row), right instanceof Literal);
            return c == null ? null : op.test(c);
        }

        @Override
        public String toText() {
            return left.toText() + " " + op.sql() + " " + right.toText();
        }
    }

    /** {@code operand IN (values…)}: the OR of {@code operand = value} over the values (SQL's IN, NULLs included). */
    record In(Operand operand, List<Literal> values) implements FilterExpression {
        public In {
            Objects.requireNonNull(operand, "operand");
            values = List.copyOf(values);
            if (values.isEmpty()) {
                throw new IllegalArgumentException("IN needs at least one value");
            }
        }

        @Override
        public Boolean evaluate(Map<String, ?> row) {
            Object v = operand.value(row);
            boolean literal = operand instanceof Literal;
            Boolean out = Boolean.FALSE;
            for (Literal value : values) {
                Integer c = Values.compare(v, literal, value.value(), true);
                if (c == null) {
                    out = null;
                } else if (c == 0) {
                    return Boolean.TRUE;
                }
            }
            return out;
        }

        @Override
        public String toText() {
            return operand.toText() + " IN (" + String.join(", ", values.stream().map(Literal::toText).toList()) + ")";
        }
    }

    /** {@code operand IS NULL} (never unknown). */
    record IsNull(Operand operand) implements FilterExpression {
        public IsNull {
            Objects.requireNonNull(operand, "operand");
        }

        @Override
        public Boolean evaluate(Map<String, ?> row) {
            return operand.value(row) == null;
        }

        @Override
        public String toText() {
            return operand.toText() + " IS NULL";
        }
    }

    record Not(FilterExpression operand) implements FilterExpression {
        public Not {
            Objects.requireNonNull(operand, "operand");
        }

        @Override
        public Boolean evaluate(Map<String, ?> row) {
            Boolean v = operand.evaluate(row);
            return v == null ? null : !v;
        }

        @Override
        public String toText() {
            return "NOT (" + operand.toText() + ")";
        }
    }

    record And(FilterExpression left, FilterExpression right) implements FilterExpression {
        public And {
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(right, "right");
        }

        @Override
        public Boolean evaluate(Map<String, ?> row) {
            Boolean l = left.evaluate(row);
            if (Boolean.FALSE.equals(l)) {
                return false;
            }
            Boolean r = right.evaluate(row);
            if (Boolean.FALSE.equals(r)) {
                return false;
            }
            return l == null || r == null ? null : true;
        }

        @Override
        public String toText() {
            return "(" + left.toText() + ") AND (" + right.toText() + ")";
        }
    }

    record Or(FilterExpression left, FilterExpression right) implements FilterExpression {
        public Or {
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(right, "right");
        }

        @Override
        public Boolean evaluate(Map<String, ?> row) {
            Boolean l = left.evaluate(row);
            if (Boolean.TRUE.equals(l)) {
                return true;
            }
            Boolean r = right.evaluate(row);
            if (Boolean.TRUE.equals(r)) {
                return true;
            }
            return l == null || r == null ? null : false;
        }

        @Override
        public String toText() {
            return "(" + left.toText() + ") OR (" + right.toText() + ")";
        }
    }

    /**
     * The comparison rules shared by the Java evaluation and the SQL rendering (the store decides
     * with the same {@link Kind}s from the columns' SQL types what the database would compare).
     */
    final class Values {
        private Values() {}

        /** What a value is for comparisons. */
        public enum Kind { NUMBER, TEXT, BOOLEAN, OTHER }

        public static Kind kind(Object value) {
            if (value instanceof Number) {
                return Kind.NUMBER;
            }
            if (value instanceof String) {
                return Kind.TEXT;
            }
            if (value instanceof Boolean) {
                return Kind.BOOLEAN;
            }
            return Kind.OTHER;
        }

        /**
         * A string literal read as a value of {@code kind} (number: Long when integral and in
         * range, else Double; boolean: true/false in any case), or null when it does not read so.
         */
        public static Object coerceLiteral(String literal, Kind kind) {
            String t = literal.trim();
            if (kind == Kind.NUMBER) {
                if (!FilterParser.isNumber(t)) {
                    return null;
                }
                return FilterParser.number(t);
            }
            if (kind == Kind.BOOLEAN) {
                String lower = t.toLowerCase(Locale.ROOT);
                return lower.equals("true") ? Boolean.TRUE : lower.equals("false") ? Boolean.FALSE : null;
            }
            return null;
        }

        /**
         * Compares two values: negative, zero or positive, or null when unknown (either is NULL,
         * or they are of kinds that do not compare). {@code aLiteral}/{@code bLiteral}: the value
         * is a literal, so a string may be read as the other side's number or boolean.
         */
        public static Integer compare(Object a, boolean aLiteral, Object b, boolean bLiteral) {
            if (a == null || b == null) {
                return null;
            }
            Kind ka = kind(a);
            Kind kb = kind(b);
            if (ka != kb) {
                if (aLiteral && ka == Kind.TEXT) {
                    a = coerceLiteral((String) a, kb);
                    ka = kb;
                } else if (bLiteral && kb == Kind.TEXT) {
                    b = coerceLiteral((String) b, ka);
                    kb = ka;
                } else {
                    return null;
                }
                if (a == null || b == null) {
                    return null;
                }
            }
            return switch (ka) {
                case NUMBER -> compareNumbers((Number) a, (Number) b);
                case TEXT -> compareText((String) a, (String) b);
                case BOOLEAN -> Boolean.compare((Boolean) a, (Boolean) b);
                case OTHER -> null;
            };
        }

        static int compareNumbers(Number a, Number b) {
            if (floating(a) || floating(b)) {
                double x = a.doubleValue();
                double y = b.doubleValue();
                return x == y ? 0 : Double.compare(x, y);
            }
            return exact(a).compareTo(exact(b));
        }

        private static boolean floating(Number n) {
            return n instanceof Double || n instanceof Float;
        }

        private static BigDecimal exact(Number n) {
            if (n instanceof BigDecimal d) {
                return d;
            }
            if (n instanceof BigInteger i) {
                return new BigDecimal(i);
            }
            if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
                return BigDecimal.valueOf(n.longValue());
            }
            return new BigDecimal(n.toString());
        }

        /** Unicode code point order (UTF-8 byte order), unlike {@link String#compareTo}'s UTF-16 units. */
        static int compareText(String a, String b) {
            int i = 0;
            int j = 0;
            while (i < a.length() && j < b.length()) {
                int ca = a.codePointAt(i);
                int cb = b.codePointAt(j);
                if (ca != cb) {
                    return Integer.compare(ca, cb);
                }
                i += Character.charCount(ca);
                j += Character.charCount(cb);
            }
            return Boolean.compare(i < a.length(), j < b.length());
        }
    }
}
