package io.metaxy.flink.store;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A typed row predicate: comparisons of a column with a value, combined with and/or/not.
 * Backends render it to SQL with every value bound as a parameter, never spliced into the text,
 * after converting it to the column's type (text {@code "5"} against a BIGINT column is 5, a
 * number against a text column is its text, an {@code Instant} against a timestamp is that
 * instant); a column the table lacks or a value the column cannot hold is a
 * {@link SchemaMismatchException} naming feature, column and value.
 *
 * <pre>{@code
 * Filter f = Filter.and(Filter.ge("sample_uid", 10), Filter.not(Filter.eq("split", "test")));
 * Filter g = Filter.parse("sample_uid>=10");   // the CLI's --filter syntax
 * }</pre>
 */
public sealed interface Filter {

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
    }

    /** The columns this filter names, in first-mention order. */
    default Set<String> columns() {
        Set<String> out = new LinkedHashSet<>();
        collectColumns(this, out);
        return out;
    }

    private static void collectColumns(Filter filter, Set<String> out) {
        if (filter instanceof Comparison c) {
            out.add(c.column());
        } else if (filter instanceof In in) {
            out.add(in.column());
        } else if (filter instanceof IsNull n) {
            out.add(n.column());
        } else if (filter instanceof Not n) {
            collectColumns(n.operand(), out);
        } else if (filter instanceof And a) {
            a.operands().forEach(f -> collectColumns(f, out));
        } else if (filter instanceof Or o) {
            o.operands().forEach(f -> collectColumns(f, out));
        }
    }

    record Comparison(String column, Op op, Object value) implements Filter {
        public Comparison {
            Objects.requireNonNull(column, "column");
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(value, "value (use Filter.isNull for nulls)");
        }
    }

    record In(String column, List<?> values) implements Filter {
        public In {
            Objects.requireNonNull(column, "column");
            values = List.copyOf(values);
        }
    }

    record IsNull(String column) implements Filter {}

    record And(List<Filter> operands) implements Filter {
        public And {
            operands = List.copyOf(operands);
        }
    }

    record Or(List<Filter> operands) implements Filter {
        public Or {
            operands = List.copyOf(operands);
        }
    }

    record Not(Filter operand) implements Filter {
        public Not {
            Objects.requireNonNull(operand, "operand");
        }
    }

    static Filter eq(String column, Object value) {
        return new Comparison(column, Op.EQ, value);
    }

    static Filter ne(String column, Object value) {
        return new Comparison(column, Op.NE, value);
    }

    static Filter lt(String column, Object value) {
        return new Comparison(column, Op.LT, value);
    }

    static Filter le(String column, Object value) {
        return new Comparison(column, Op.LE, value);
    }

    static Filter gt(String column, Object value) {
        return new Comparison(column, Op.GT, value);
    }

    static Filter ge(String column, Object value) {
        return new Comparison(column, Op.GE, value);
    }

    static Filter in(String column, List<?> values) {
        return new In(column, values);
    }

    static Filter isNull(String column) {
        return new IsNull(column);
    }

    static Filter isNotNull(String column) {
        return new Not(new IsNull(column));
    }

    static Filter and(Filter... operands) {
        return new And(List.of(operands));
    }

    static Filter and(List<Filter> operands) {
        return new And(operands);
    }

    static Filter or(Filter... operands) {
        return new Or(List.of(operands));
    }

    static Filter not(Filter operand) {
        return new Not(operand);
    }

    /** The syntax {@link #parse} accepts: {@code column OP value}. */
    Pattern PARSE_SYNTAX = Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(!=|<>|>=|<=|=|>|<)\\s*(.*?)\\s*");

    /**
     * Parses {@code column OP value} with OP one of {@code = != <> < <= > >=}. The value stays
     * text: the store converts it to the column's type when the filter runs ({@code sample_uid=5}
     * compares with the number 5 on a BIGINT column, {@code name=001} with the text "001" on a
     * text column, {@code metaxy_updated_at>=2024-03-10T07:30:00Z} with that instant). Unquoted
     * {@code null} (= and != only) tests for null; quotes ('…' or "…") keep surrounding spaces or
     * the word null as text.
     */
    static Filter parse(String text) {
        Matcher m = PARSE_SYNTAX.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("filter '" + text + "' is not of the form column OP value (OP: = != < <= > >=)");
        }
        String column = m.group(1);
        String opText = m.group(2);
        String raw = m.group(3);
        Op op = switch (opText) {
            case "=" -> Op.EQ;
            case "!=", "<>" -> Op.NE;
            case "<" -> Op.LT;
            case "<=" -> Op.LE;
            case ">" -> Op.GT;
            default -> Op.GE;
        };
        if (raw.equals("null")) {
            return switch (op) {
                case EQ -> isNull(column);
                case NE -> isNotNull(column);
                default -> throw new IllegalArgumentException("filter '" + text + "': null only with = or !=");
            };
        }
        boolean quoted = raw.length() >= 2 && (raw.startsWith("'") && raw.endsWith("'") || raw.startsWith("\"") && raw.endsWith("\""));
        return new Comparison(column, op, quoted ? raw.substring(1, raw.length() - 1) : raw);
    }
}
