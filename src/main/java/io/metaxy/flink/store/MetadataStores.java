package io.metaxy.flink.store;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.store.sql.DuckDbDialect;
import io.metaxy.flink.store.sql.PostgresDialect;
import io.metaxy.flink.store.sql.SqlMetadataStore;
import io.metaxy.flink.versioning.SampleHasher;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Opens a {@link MetadataStore} from a URL:
 * <ul>
 *   <li>{@code duckdb:PATH} — an embedded DuckDB file (it and its directory created when opened for writing);</li>
 *   <li>{@code duckdb:memory:} — an in-memory DuckDB, gone when closed (tests);</li>
 *   <li>{@code postgresql://user[:password]@host:port/db} or {@code jdbc:postgresql://…}
 *       (JDBC query parameters such as {@code ?user=…&password=…} pass through).</li>
 * </ul>
 *
 * <pre>{@code
 * try (MetadataStore store = MetadataStores.open("duckdb:metaxy.duckdb", graph, AccessMode.READ)) {
 *     store.read("examples/parent").forEach(System.out::println);
 * }
 * }</pre>
 *
 * A DuckDB file opened in READ mode is opened read-only by DuckDB too, so several processes may
 * read it; in WRITE mode DuckDB locks the file for this process. Within one JVM any number of
 * stores (READ or WRITE) may be open on the same file at once: they share DuckDB's instance.
 */
public final class MetadataStores {
    /**
     * The embedded default when no store URL is given: a DuckDB file under the working directory
     * (the streaming job's default store too; the directory is created on first open for writing).
     */
    public static final String DEFAULT_DATA_DIR = "metaxy-data";
    public static final String DEFAULT_FILE = "metaxy.duckdb";
    public static final String DEFAULT_URL = "duckdb:" + DEFAULT_DATA_DIR + "/" + DEFAULT_FILE;

    /** The default store's URL in another data directory than {@link #DEFAULT_DATA_DIR}. */
    public static String defaultUrlIn(Path dataDir) {
        return "duckdb:" + dataDir.resolve(DEFAULT_FILE);
    }

    private MetadataStores() {}

    public static MetadataStore open(String url, FeatureGraph graph, AccessMode mode) {
        return open(url, graph, mode, SampleHasher.DEFAULT);
    }

    public static MetadataStore open(String url, FeatureGraph graph, AccessMode mode, SampleHasher hasher) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("store URL must not be empty (e.g. " + DEFAULT_URL + ")");
        }
        if (url.startsWith("duckdb:")) {
            return openDuckDb(url.substring("duckdb:".length()), graph, mode, hasher);
        }
        if (url.startsWith("postgresql://") || url.startsWith("postgres://") || url.startsWith("jdbc:postgresql://")) {
            return openPostgres(url, graph, mode, hasher);
        }
        throw new IllegalArgumentException("unsupported store URL '" + url
                + "' (expected duckdb:PATH, duckdb:memory: or postgresql://user@host:port/db)");
    }

    private static MetadataStore openDuckDb(String path, FeatureGraph graph, AccessMode mode, SampleHasher hasher) {
        boolean memory = path.equals("memory:") || path.equals(":memory:") || path.isEmpty();
        Properties props = new Properties();
        if (!memory && mode == AccessMode.READ) {
            if (!Files.exists(Path.of(path))) {
                throw new StoreConnectionException("cannot open DuckDB store '" + path + "' for reading: no such file", null);
            }
            props.setProperty("duckdb.read_only", "true");
        }
        if (!memory && mode == AccessMode.WRITE) {
            Path parent = Path.of(path).toAbsolutePath().getParent();
            try {
                if (parent != null) {
                    Files.createDirectories(parent);
                }
            } catch (java.io.IOException e) {
                throw new StoreConnectionException("cannot create the directory of DuckDB store '" + path + "': " + e, e);
            }
        }
        String jdbc = memory ? "jdbc:duckdb:" : "jdbc:duckdb:" + path;
        try {
            Connection connection;
            try {
                connection = DriverManager.getConnection(jdbc, props);
            } catch (SQLException e) {
                if (props.isEmpty() || e.getMessage() == null || !e.getMessage().contains("different configuration")) {
                    throw e;
                }
                // This JVM already holds the file read-write (e.g. the job's store sink): DuckDB shares
                // one instance per file and process, so join it; READ mode is then enforced by the store.
                connection = DriverManager.getConnection(jdbc);
            }
            return new SqlMetadataStore(connection, new DuckDbDialect(), graph, hasher, mode,
                    memory ? "duckdb in-memory store" : "duckdb store " + path);
        } catch (SQLException e) {
            throw new StoreConnectionException("cannot open DuckDB store '" + path + "': " + e.getMessage(), e);
        }
    }

    private static MetadataStore openPostgres(String url, FeatureGraph graph, AccessMode mode, SampleHasher hasher) {
        String jdbc;
        Properties props = new Properties();
        if (url.startsWith("jdbc:")) {
            jdbc = url;
        } else {
            URI uri = URI.create(url);
            String host = uri.getHost() == null ? "localhost" : uri.getHost();
            int port = uri.getPort() < 0 ? 5432 : uri.getPort();
            jdbc = "jdbc:postgresql://" + host + ":" + port + (uri.getRawPath() == null ? "/" : uri.getRawPath())
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                props.setProperty("user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
                if (colon >= 0) {
                    props.setProperty("password", decode(userInfo.substring(colon + 1)));
                }
            }
        }
        if (mode == AccessMode.READ) {
            props.setProperty("readOnly", "true");
        }
        props.putIfAbsent("connectTimeout", "10");
        try {
            Connection connection = DriverManager.getConnection(jdbc, props);
            return new SqlMetadataStore(connection, new PostgresDialect(), graph, hasher, mode,
                    "postgresql store " + jdbc.replaceAll("password=[^&]*", "password=***"));
        } catch (SQLException e) {
            throw new StoreConnectionException("cannot connect to PostgreSQL store '" + jdbc.replaceAll("password=[^&]*", "password=***")
                    + "': " + e.getMessage(), e);
        }
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
