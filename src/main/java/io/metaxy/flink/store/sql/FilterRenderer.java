package io.metaxy.flink.store.sql;

import static io.metaxy.flink.store.sql.SqlMetadataStore.q;

import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.store.Filter;
import io.metaxy.flink.store.SchemaMismatchException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Renders a {@link Filter} to SQL over one relation of a feature whose columns and their SQL
 * types are known. Every value is a bound parameter, converted first to its column's type, so
 * both backends compare alike: {@code "5"} against a BIGINT column is the number 5 (PostgreSQL
 * has no {@code bigint = varchar}), {@code "001"} against a text column stays {@code "001"}, an
 * {@link Instant} against a timestamp is bound as a UTC {@link OffsetDateTime} (the type both
 * drivers bind correctly). A column the relation lacks, or a value its column cannot hold, is a
 * {@link SchemaMismatchException} naming the feature, the column and the value.
 *
 * <pre>{@code
 * new FilterRenderer(key, schema, "filter").render(Filter.eq("sample_uid", "5"), "r", params);  // r."sample_uid" = ?  [5]
 * }</pre>
 */
final class FilterRenderer {
    private final FeatureKey feature;
    private final Map<String, String> columnTypes;
    private final String role;

    /**
     * @param columnTypes the columns the filter may name, with their SQL types
     * @param role what the filter is, for messages ("filter", "target filter", …)
     */
    FilterRenderer(FeatureKey feature, Map<String, String> columnTypes, String role) {
        this.feature = feature;
        this.columnTypes = columnTypes;
        this.role = role;
    }

    /** The SQL for {@code filter}, with columns qualified by {@code alias} (none when null); values go to {@code params}. */
    String render(Filter filter, String alias, List<Object> params) {
        String prefix = alias == null ? "" : alias + ".";
        if (filter instanceof Filter.Comparison c) {
            params.add(convert(c.column(), c.value()));
            return prefix + column(c.column()) + " " + c.op().sql() + " ?";
        }
        if (filter instanceof Filter.In in) {
            String column = column(in.column());
            if (in.values().isEmpty()) {
                return "FALSE";
            }
            for (Object value : in.values()) {
                params.add(convert(in.column(), value));
            }
            return prefix + column + " IN (" + String.join(", ", Collections.nCopies(in.values().size(), "?")) + ")";
        }
        if (filter instanceof Filter.IsNull n) {
            return prefix + column(n.column()) + " IS NULL";
        }
        if (filter instanceof Filter.Not n) {
            return "NOT (" + render(n.operand(), alias, params) + ")";
        }
        if (filter instanceof Filter.And a) {
            return a.operands().isEmpty() ? "TRUE" : joinAll(a.operands(), " AND ", alias, params);
        }
        Filter.Or o = (Filter.Or) filter;
        return o.operands().isEmpty() ? "FALSE" : joinAll(o.operands(), " OR ", alias, params);
    }

    private String joinAll(List<Filter> operands, String op, String alias, List<Object> params) {
        List<String> parts = new ArrayList<>();
        for (Filter f : operands) {
            parts.add("(" + render(f, alias, params) + ")");
        }
        return String.join(op, parts);
    }

    private String column(String name) {
        if (!columnTypes.containsKey(name)) {
            throw new SchemaMismatchException("feature '" + feature + "': " + role + " column '" + name + "' is not one of "
                    + columnTypes.keySet());
        }
        return q(name);
    }

    private Object convert(String column, Object value) {
        String sqlType = columnTypes.get(column);
        if (sqlType == null) {
            column(column); // throws: unknown column
        }
        Object converted = switch (ColumnKind.of(sqlType)) {
            case INTEGER -> toInteger(value);
            case FLOAT -> toFloat(value);
            case BOOLEAN -> toBoolean(value);
            case TEXT -> toText(value);
            case TIMESTAMP -> toTimestamp(value);
            case BY_FIELD -> null;
            case OTHER -> value;
        };
        if (converted == null) {
            throw new SchemaMismatchException("feature '" + feature + "': " + role + " value " + describe(value) + " for column '"
                    + column + "' (" + sqlType + ") " + expectation(ColumnKind.of(sqlType)));
        }
        return converted;
    }

    private static String expectation(ColumnKind kind) {
        return switch (kind) {
            case INTEGER, FLOAT -> "is not a number";
            case BOOLEAN -> "is not true or false";
            case TEXT -> "is not text, a number or a boolean";
            case TIMESTAMP -> "is not an instant (Instant, OffsetDateTime or ISO-8601 text such as 2024-03-10T07:30:00Z)";
            case BY_FIELD -> "cannot be compared: by-field columns can only be tested for null";
            case OTHER -> "is not supported";
        };
    }

    private static String describe(Object value) {
        return (value instanceof String ? "'" + value + "'" : String.valueOf(value)) + " (" + value.getClass().getSimpleName() + ")";
    }

    /** Integral values as Long; fractional ones stay fractional (2.5 compares with a BIGINT column as a number). */
    private static Object toInteger(Object value) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big) {
            return big.bitLength() < 64 ? big.longValue() : null;
        }
        if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
            return toFloat(value);
        }
        if (value instanceof String text) {
            String t = text.trim();
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException notAnInteger) {
                return toFloat(t);
            }
        }
        return null;
    }

    private static Object toFloat(Object value) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof String text) {
            try {
                return Double.parseDouble(text.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static Object toBoolean(Object value) {
        if (value instanceof Boolean) {
            return value;
        }
        if (value instanceof String text && (text.trim().equalsIgnoreCase("true") || text.trim().equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(text.trim());
        }
        return null;
    }

    /** Text as given (no trimming: '001 ' is not '001'); numbers and booleans as their text. */
    private static Object toText(Object value) {
        if (value instanceof String) {
            return value;
        }
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (value instanceof Number || value instanceof Boolean) {
            return String.valueOf(value);
        }
        return null;
    }

    private static Object toTimestamp(Object value) {
        if (value instanceof Instant i) {
            return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
        }
        if (value instanceof OffsetDateTime o) {
            return o.withOffsetSameInstant(ZoneOffset.UTC);
        }
        if (value instanceof ZonedDateTime z) {
            return z.toOffsetDateTime().withOffsetSameInstant(ZoneOffset.UTC);
        }
        if (value instanceof String text) {
            try {
                return OffsetDateTime.parse(text.trim()).withOffsetSameInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        return null;
    }
}
