package io.metaxy.flink.store.sql;

import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FilterExpression;
import io.metaxy.flink.definitions.FilterExpression.Column;
import io.metaxy.flink.definitions.FilterExpression.Literal;
import io.metaxy.flink.definitions.FilterExpression.Operand;
import io.metaxy.flink.definitions.FilterExpression.Values;
import io.metaxy.flink.definitions.FilterExpression.Values.Kind;
import io.metaxy.flink.store.SchemaMismatchException;
import java.util.List;
import java.util.Map;

/**
 * Renders a dependency's {@link FilterExpression} (Metaxy's {@code FeatureDep.filters}) to SQL
 * over the upstream's rows, so that the database keeps exactly the rows
 * {@link FilterExpression#matches} keeps: the filter names columns after the dep's rename, and
 * each name is mapped to the upstream table's column it renames. From the columns' SQL types the
 * renderer decides what {@link Values#compare} would: comparisons of kinds that do not compare
 * are rendered as an unknown ({@code CAST(NULL AS BOOLEAN)}), a string literal compared with a
 * number or boolean column is converted here (an unreadable one: unknown), and text compares in
 * code-point order ({@link SqlDialect#textOrder}). Text and number literals are bound parameters
 * with an explicit type (so neither driver infers one from the other side); booleans are the
 * keywords TRUE and FALSE. A column the upstream lacks is a {@link SchemaMismatchException}.
 *
 * <pre>{@code
 * new FilterExpressionRenderer(dialect, child, video, Map.of("n", "x.\"num\""), Map.of("n", "BIGINT"))
 *         .render(FilterParser.parse("n >= '2'"), params);   // x."num" >= CAST(? AS BIGINT)  [2]
 * }</pre>
 */
final class FilterExpressionRenderer {
    private static final String UNKNOWN = "CAST(NULL AS BOOLEAN)";

    private final SqlDialect dialect;
    private final FeatureKey feature;
    private final FeatureKey upstream;
    private final Map<String, String> columnRefs;
    private final Map<String, String> columnTypes;

    /**
     * @param columnRefs each column a filter may name (post-rename) → the SQL referencing it
     * @param columnTypes the same names → their SQL types
     */
    FilterExpressionRenderer(SqlDialect dialect, FeatureKey feature, FeatureKey upstream, Map<String, String> columnRefs,
            Map<String, String> columnTypes) {
        this.dialect = dialect;
        this.feature = feature;
        this.upstream = upstream;
        this.columnRefs = columnRefs;
        this.columnTypes = columnTypes;
    }

    /** A SQL condition TRUE exactly where the expression is TRUE; parameters go to {@code params} in order. */
    String render(FilterExpression e, List<Object> params) {
        if (e instanceof Column c) {
            return kind(c) == Kind.BOOLEAN ? ref(c) : UNKNOWN;
        }
        if (e instanceof Literal l) {
            return l.value() instanceof Boolean b ? (b ? "TRUE" : "FALSE") : UNKNOWN;
        }
        if (e instanceof FilterExpression.Comparison c) {
            return comparison(c.left(), c.op(), c.right(), params);
        }
        if (e instanceof FilterExpression.In in) {
            StringBuilder out = new StringBuilder("(");
            for (int i = 0; i < in.values().size(); i++) {
                out.append(i == 0 ? "(" : " OR (")
                        .append(comparison(in.operand(), FilterExpression.Op.EQ, in.values().get(i), params)).append(")");
            }
            return out.append(")").toString();
        }
        if (e instanceof FilterExpression.IsNull n) {
            if (n.operand() instanceof Column c) {
                return ref(c) + " IS NULL";
            }
            return ((Literal) n.operand()).value() == null ? "TRUE" : "FALSE";
        }
        if (e instanceof FilterExpression.Not n) {
            return "(NOT (" + render(n.operand(), params) + "))";
        }
        if (e instanceof FilterExpression.And a) {
            return "((" + render(a.left(), params) + ") AND (" + render(a.right(), params) + "))";
        }
        FilterExpression.Or o = (FilterExpression.Or) e;
        return "((" + render(o.left(), params) + ") OR (" + render(o.right(), params) + "))";
    }

    private String comparison(Operand left, FilterExpression.Op op, Operand right, List<Object> params) {
        Kind kl = kind(left);
        Kind kr = kind(right);
        Object lv = left instanceof Literal l ? l.value() : null;
        Object rv = right instanceof Literal r ? r.value() : null;
        if (left instanceof Literal && lv == null || right instanceof Literal && rv == null) {
            return UNKNOWN;
        }
        if (kl != kr) {
            // The rule of Values.compare: a string literal reads as the other side's kind.
            if (left instanceof Literal && kl == Kind.TEXT) {
                lv = Values.coerceLiteral((String) lv, kr);
                kl = kr;
                if (lv == null) {
                    return UNKNOWN;
                }
            } else if (right instanceof Literal && kr == Kind.TEXT) {
                rv = Values.coerceLiteral((String) rv, kl);
                kr = kl;
                if (rv == null) {
                    return UNKNOWN;
                }
            } else {
                return UNKNOWN;
            }
        }
        if (kl == Kind.OTHER) {
            return UNKNOWN;
        }
        return operand(left, lv, kl, params) + " " + op.sql() + " " + operand(right, rv, kr, params);
    }

    private String operand(Operand o, Object literal, Kind kind, List<Object> params) {
        if (o instanceof Column c) {
            return kind == Kind.TEXT ? dialect.textOrder(ref(c), columnTypes.get(c.name())) : ref(c);
        }
        if (literal instanceof Boolean b) {
            return b ? "TRUE" : "FALSE";
        }
        params.add(literal);
        if (literal instanceof String) {
            return dialect.textOrder("CAST(? AS VARCHAR)", "VARCHAR");
        }
        return literal instanceof Long ? "CAST(? AS BIGINT)" : "CAST(? AS DOUBLE PRECISION)";
    }

    private Kind kind(Operand o) {
        if (o instanceof Literal l) {
            return Values.kind(l.value());
        }
        String column = ((Column) o).name();
        ref((Column) o);
        return switch (ColumnKind.of(columnTypes.get(column))) {
            case INTEGER, FLOAT -> Kind.NUMBER;
            case TEXT -> Kind.TEXT;
            case BOOLEAN -> Kind.BOOLEAN;
            default -> Kind.OTHER;
        };
    }

    private String ref(Column c) {
        String ref = columnRefs.get(c.name());
        if (ref == null) {
            throw new SchemaMismatchException("feature '" + feature + "': a filter of its dep on '" + upstream + "' names column '"
                    + c.name() + "', which the upstream does not have (filters name its columns after rename: "
                    + columnRefs.keySet() + ")");
        }
        return ref;
    }
}
