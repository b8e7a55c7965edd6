package io.metaxy.flink.store.sql;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.versioning.SampleHasher;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.WithNull;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** The xxhash32 function the DuckDB store registers hashes the UTF-8 bytes of any text as Java does. */
class DuckDbHashFunctionTest {
    private static Connection connection;
    private static final DuckDbDialect DIALECT = new DuckDbDialect();

    @BeforeContainer
    static void open() throws Exception {
        connection = DriverManager.getConnection("jdbc:duckdb:");
        DIALECT.prepareHash(connection, SampleHasher.DEFAULT);
    }

    @AfterContainer
    static void close() throws Exception {
        connection.close();
    }

    @Property(tries = 300)
    void hashesAsJava(@ForAll String text) throws Exception {
        String valid = encodable(text);
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + DIALECT.hashSql(SampleHasher.DEFAULT, "?"))) {
            ps.setString(1, valid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(SampleHasher.DEFAULT.hash(valid));
            }
        }
    }

    /**
     * Many values per call, as a resolve hashes them: inline (up to 12 bytes) and pointed-to
     * strings, nulls, any text. Past the first rows the function reads DuckDB's string layout
     * itself, so this also holds that path equal to Java's hash.
     */
    @Property(tries = 60)
    void hashesEveryValueOfAChunkAsJava(@ForAll List<@WithNull(0.1) String> texts) throws Exception {
        List<String> valid = new ArrayList<>();
        for (String text : texts) {
            valid.add(text == null ? null : encodable(text));
        }
        // Long enough for the layout check to pass, and a vector with values both sides of 12 bytes.
        for (int i = 0; i < 100; i++) {
            valid.add(i % 2 == 0 ? "s" + i : "a value longer than twelve bytes " + i);
        }
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < valid.size(); i++) {
            rows.append(i == 0 ? "" : ", ").append("(").append(i).append(", ?)");
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT i, " + DIALECT.hashSql(SampleHasher.DEFAULT, "t")
                + " FROM (VALUES " + rows + ") v(i, t) ORDER BY i")) {
            for (int i = 0; i < valid.size(); i++) {
                ps.setString(i + 1, valid.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                for (String text : valid) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(2)).isEqualTo(text == null ? null : SampleHasher.DEFAULT.hash(text));
                }
            }
        }
        assertThat(VectorBytes.layoutTrusted()).isTrue();
    }

    /** The driver's text parameters cannot carry unpaired surrogates; Java would encode them as '?'. */
    private static String encodable(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    @Property(tries = 1)
    void readsTheDriversBytesWithoutDecoding() {
        // A duckdb_jdbc upgrade that drops the package-private call would silently cost a decode per hash.
        assertThat(VectorBytes.direct()).isTrue();
    }
}
