package io.metaxy.flink.store.sql;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FilterExpression;
import io.metaxy.flink.definitions.FilterExpression.And;
import io.metaxy.flink.definitions.FilterExpression.Column;
import io.metaxy.flink.definitions.FilterExpression.Comparison;
import io.metaxy.flink.definitions.FilterExpression.In;
import io.metaxy.flink.definitions.FilterExpression.IsNull;
import io.metaxy.flink.definitions.FilterExpression.Literal;
import io.metaxy.flink.definitions.FilterExpression.Not;
import io.metaxy.flink.definitions.FilterExpression.Op;
import io.metaxy.flink.definitions.FilterExpression.Operand;
import io.metaxy.flink.definitions.FilterExpression.Or;
import io.metaxy.flink.definitions.FilterParser;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The core check of dep filters: for random expressions and random rows (NULLs, NaN, ±0.0,
 * extreme longs, non-ASCII text included), {@link FilterExpression#evaluate} in Java gives the
 * same TRUE/FALSE/unknown as a real DuckDB (and PostgreSQL) evaluating
 * {@link FilterExpressionRenderer}'s SQL over the same rows. The filter names post-rename columns mapped to differently named (and quoted)
 * table columns, as in resolveUpdate; each expression also goes through its canonical text and
 * the parser.
 */
class FilterDifferentialProperties {
    /** Filter column name → table column, SQL type, candidate values. */
    private static final Map<String, String> TABLE_COLUMN = new LinkedHashMap<>();
    private static final Map<String, String> SQL_TYPE = new LinkedHashMap<>();
    /** PostgreSQL's spelling of each DuckDB type above. */
    private static final Map<String, String> PG_TYPE = Map.of("BIGINT", "BIGINT", "DOUBLE", "DOUBLE PRECISION",
            "DECIMAL(18,3)", "NUMERIC(18,3)", "VARCHAR", "TEXT", "BOOLEAN", "BOOLEAN");
    private static final Map<String, List<Object>> VALUES = new LinkedHashMap<>();
    private static final List<String> TEXTS = List.of("", "a", "b", "A", "10", "2", " 2", "2.5", "true", "FALSE", "é", "e",
            "\uD83D\uDE00", "\uFFFD", "it's", "a\"b");

    static {
        column("i", "col i", "BIGINT", 0L, 1L, 2L, -2L, 10L, Long.MAX_VALUE, Long.MIN_VALUE, 9007199254740993L);
        column("j", "src_j", "BIGINT", 0L, 2L, 3L);
        column("d", "src d\"q", "DOUBLE", 0.0, -0.0, 0.5, 2.0, 2.5, 10.0, Double.NaN, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, 1e300, 9007199254740992.0);
        column("e", "src_e", "DECIMAL(18,3)", new BigDecimal("0.000"), new BigDecimal("0.500"), new BigDecimal("2.000"),
                new BigDecimal("-2.500"), new BigDecimal("10.000"));
        column("s", "src_s", "VARCHAR", TEXTS.toArray());
        column("t", "src_t", "VARCHAR", "a", "b", "10", "é");
        column("b", "src_b", "BOOLEAN", true, false);
        column("c", "src_c", "BOOLEAN", true, false);
    }

    private static void column(String name, String tableColumn, String type, Object... values) {
        TABLE_COLUMN.put(name, tableColumn);
        SQL_TYPE.put(name, type);
        List<Object> withNull = new ArrayList<>(Arrays.asList(values));
        withNull.add(null);
        VALUES.put(name, withNull);
    }

    private static Connection duck;
    private static Connection postgres;

    @BeforeContainer
    static void open() throws SQLException {
        duck = DriverManager.getConnection("jdbc:duckdb:");
    }

    @AfterContainer
    static void close() throws SQLException {
        duck.close();
        if (postgres != null) {
            postgres.close();
        }
    }

    @Property(tries = 500)
    void javaEvaluationEqualsDuckDb(@ForAll("expressions") FilterExpression generated, @ForAll("rows") List<Map<String, Object>> rows)
            throws SQLException {
        check(generated, rows, duck, new DuckDbDialect(), SQL_TYPE);
    }

    /** The same over PostgreSQL (a throwaway server from the Debian binaries, as the store tests use). */
    @Property(tries = 150)
    void javaEvaluationEqualsPostgres(@ForAll("expressions") FilterExpression generated, @ForAll("rows") List<Map<String, Object>> rows)
            throws SQLException {
        if (postgres == null) {
            String url = io.metaxy.flink.store.PostgresServer.get().newDatabase();
            postgres = DriverManager.getConnection("jdbc:" + url.replace("postgres@", ""), "postgres", "");
        }
        Map<String, String> types = new LinkedHashMap<>();
        SQL_TYPE.forEach((name, type) -> types.put(name, PG_TYPE.get(type)));
        check(generated, rows, postgres, new PostgresDialect(), types);
    }

    private void check(FilterExpression generated, List<Map<String, Object>> rows, Connection db, SqlDialect dialect,
            Map<String, String> types) throws SQLException {
        FilterExpression filter = FilterParser.parse(generated.toText());
        List<Boolean> sql = evaluateInDatabase(filter, rows, db, dialect, types);
        for (int r = 0; r < rows.size(); r++) {
            assertThat(filter.evaluate(rows.get(r))).as("%s over %s", filter.toText(), rows.get(r)).isEqualTo(sql.get(r));
            if (filter.equals(generated)) {
                // (The parser turns column = NULL into IS NULL as Metaxy does: then the two differ, by design.)
                assertThat(generated.evaluate(rows.get(r))).as("as generated: %s", generated).isEqualTo(sql.get(r));
            }
        }
    }

    private List<Boolean> evaluateInDatabase(FilterExpression filter, List<Map<String, Object>> rows, Connection db,
            SqlDialect dialect, Map<String, String> types) throws SQLException {
        try (Statement st = db.createStatement()) {
            st.execute("DROP TABLE IF EXISTS up");
            List<String> defs = new ArrayList<>(List.of("id INTEGER"));
            TABLE_COLUMN.forEach((name, column) -> defs.add(SqlMetadataStore.q(column) + " " + types.get(name)));
            st.execute("CREATE TABLE up (" + String.join(", ", defs) + ")");
        }
        List<String> names = new ArrayList<>(TABLE_COLUMN.keySet());
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO up VALUES (?" + ", ?".repeat(names.size()) + ")")) {
            for (int r = 0; r < rows.size(); r++) {
                insert.setInt(1, r);
                for (int c = 0; c < names.size(); c++) {
                    Object value = rows.get(r).get(names.get(c));
                    if (value == null) {
                        insert.setNull(c + 2, jdbcType(types.get(names.get(c))));
                    } else {
                        insert.setObject(c + 2, value);
                    }
                }
                insert.addBatch();
            }
            insert.executeBatch();
        }
        Map<String, String> refs = new LinkedHashMap<>();
        TABLE_COLUMN.forEach((name, column) -> refs.put(name, "x." + SqlMetadataStore.q(column)));
        List<Object> params = new ArrayList<>();
        String condition = new FilterExpressionRenderer(dialect, FeatureKey.of("t/child"), FeatureKey.of("t/up"), refs, types)
                .render(filter, params);
        List<Boolean> out = new ArrayList<>();
        try (PreparedStatement query = db.prepareStatement("SELECT id, (" + condition + ") AS v FROM up x ORDER BY id")) {
            for (int p = 0; p < params.size(); p++) {
                query.setObject(p + 1, params.get(p));
            }
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    boolean v = rs.getBoolean(2);
                    out.add(rs.wasNull() ? null : v);
                }
            }
        } catch (SQLException e) {
            throw new SQLException(e.getMessage() + "\n  filter: " + filter.toText() + "\n  sql: " + condition + "\n  params: " + params, e);
        }
        assertThat(out).hasSize(rows.size());
        return out;
    }

    private static int jdbcType(String sqlType) {
        return switch (ColumnKind.of(sqlType)) {
            case INTEGER -> java.sql.Types.BIGINT;
            case FLOAT -> sqlType.startsWith("D") ? java.sql.Types.DOUBLE : java.sql.Types.NUMERIC;
            case TEXT -> java.sql.Types.VARCHAR;
            case BOOLEAN -> java.sql.Types.BOOLEAN;
            default -> java.sql.Types.OTHER;
        };
    }

    @Provide
    Arbitrary<List<Map<String, Object>>> rows() {
        List<Arbitrary<Object>> columns = new ArrayList<>();
        for (List<Object> values : VALUES.values()) {
            columns.add(Arbitraries.of(values));
        }
        List<String> names = new ArrayList<>(VALUES.keySet());
        Arbitrary<Map<String, Object>> row = Combinators.combine(columns).as(values -> {
            Map<String, Object> m = new HashMap<>();
            for (int c = 0; c < names.size(); c++) {
                m.put(names.get(c), values.get(c));
            }
            return m;
        });
        return row.list().ofMinSize(1).ofMaxSize(12);
    }

    @Provide
    Arbitrary<FilterExpression> expressions() {
        return expression(3);
    }

    private Arbitrary<FilterExpression> expression(int depth) {
        Arbitrary<FilterExpression> leaf = predicate();
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<FilterExpression> sub = expression(depth - 1);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, leaf),
                net.jqwik.api.Tuple.of(1, sub.map(Not::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(sub, sub).as(And::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(sub, sub).as(Or::new)));
    }

    private Arbitrary<FilterExpression> predicate() {
        Arbitrary<Op> ops = Arbitraries.of(Op.values());
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Combinators.combine(operand(), ops, operand()).as(Comparison::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(column(), literal().list().ofMinSize(1).ofMaxSize(4)).as(In::new)),
                net.jqwik.api.Tuple.of(1, operand().map(IsNull::new)),
                net.jqwik.api.Tuple.of(1, operand().map(o -> (FilterExpression) o)));
    }

    private Arbitrary<Operand> operand() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, column().map(c -> (Operand) c)),
                net.jqwik.api.Tuple.of(2, literal().map(l -> (Operand) l)));
    }

    private Arbitrary<Column> column() {
        return Arbitraries.of(new ArrayList<>(TABLE_COLUMN.keySet())).map(Column::new);
    }

    private Arbitrary<Literal> literal() {
        return Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, 2L, -2L, 3L, 10L, Long.MAX_VALUE, Long.MIN_VALUE, 9007199254740992L).map(Literal::new),
                Arbitraries.of(0.5, -0.0, 0.0, 2.0, 2.5, 1e300, -1e300, 9007199254740992.0).map(Literal::new),
                Arbitraries.of(TEXTS).map(Literal::new),
                Arbitraries.of(true, false).map(Literal::new),
                Arbitraries.just(Literal.NULL));
    }
}
