package io.metaxy.flink.versioning;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.Comparator;

/**
 * The order of id values that N:1 aggregation sorts group members by (design §3): numbers
 * numerically, other values by their text ({@link String#compareTo}, UTF-16 code units) — what
 * the stores' SQL does for a numeric or a text id column. Values of different kinds, which one
 * SQL column never holds, still get a consistent total order: null, then numbers, then text.
 *
 * <pre>{@code
 * List<Object> ids = new ArrayList<>(List.of(10, 9L, "b", 2.5));
 * ids.sort(IdValueOrder.INSTANCE);   // [2.5, 9, 10, "b"]
 * }</pre>
 *
 * Numbers compare by the exact decimal value of their {@code toString()} (so {@code 1},
 * {@code 1L} and {@code 1.0} tie); integral boxes compare as longs without allocating.
 * Non-finite doubles sort as -Infinity &lt; every finite number &lt; +Infinity &lt; NaN.
 */
public final class IdValueOrder implements Comparator<Object>, Serializable {
    private static final long serialVersionUID = 1L;

    public static final IdValueOrder INSTANCE = new IdValueOrder();

    private IdValueOrder() {}

    @Override
    public int compare(Object a, Object b) {
        int kinds = Integer.compare(kind(a), kind(b));
        if (kinds != 0) {
            return kinds;
        }
        if (a == null) {
            return 0;
        }
        if (a instanceof Number x && b instanceof Number y) {
            return compareNumbers(x, y);
        }
        return a.toString().compareTo(b.toString());
    }

    private static int kind(Object value) {
        return value == null ? 0 : value instanceof Number ? 1 : 2;
    }

    private static int compareNumbers(Number x, Number y) {
        if (isIntegral(x) && isIntegral(y)) {
            return Long.compare(x.longValue(), y.longValue());
        }
        int ranks = Integer.compare(rank(x), rank(y));
        if (ranks != 0 || rank(x) != 0) {
            return ranks;
        }
        // Same-class doubles (or floats): their shortest decimal renderings order like the values.
        if (x instanceof Double && y instanceof Double || x instanceof Float && y instanceof Float) {
            double dx = x.doubleValue();
            double dy = y.doubleValue();
            return dx < dy ? -1 : dx > dy ? 1 : 0;
        }
        return decimal(x).compareTo(decimal(y));
    }

    private static boolean isIntegral(Number n) {
        return n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte;
    }

    /** 0 for finite numbers; the special doubles around them. */
    private static int rank(Number n) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d)) {
                return 2;
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? 1 : -1;
            }
        }
        return 0;
    }

    private static BigDecimal decimal(Number n) {
        return n instanceof BigDecimal d ? d : new BigDecimal(n.toString());
    }

    private Object readResolve() {
        return INSTANCE;
    }
}
