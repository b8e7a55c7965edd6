package io.metaxy.flink.store.sql;

import io.metaxy.flink.definitions.DefinitionException;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.DeleteMode;
import io.metaxy.flink.store.Filter;
import io.metaxy.flink.store.LazyIncrement;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStoreException;
import io.metaxy.flink.store.ReadOnlyStoreException;
import io.metaxy.flink.store.ReadOptions;
import io.metaxy.flink.store.ResolveOptions;
import io.metaxy.flink.store.SchemaMismatchException;
import io.metaxy.flink.store.StoreClock;
import io.metaxy.flink.store.StoreConnectionException;
import io.metaxy.flink.store.SystemColumns;
import io.metaxy.flink.store.UnknownFeatureException;
import io.metaxy.flink.store.WriteOptions;
import io.metaxy.flink.versioning.DefinitionVersions;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The {@link MetadataStore} over one JDBC connection; {@link SqlDialect} supplies what differs
 * between DuckDB and PostgreSQL. Obtain one from {@link io.metaxy.flink.store.MetadataStores}.
 *
 * <p>{@code resolveUpdate} runs as one SQL query that selects the current rows of the parents
 * and of the feature, joins the parents on the lineage keys and full-outer-joins the result
 * with the feature's current rows; for N:1 the members' data versions are concatenated in SQL
 * ({@code string_agg} ordered by the members' ids). When the dialect can hash in SQL
 * ({@link SqlDialect#hashSql}: DuckDB, through a registered Java scalar function for xxhash and
 * built-ins for md5/sha256) the query also computes the provenance and the new/stale/orphaned
 * classification, and Java only maps rows. Otherwise (PostgreSQL, which has no xxhash32, or
 * {@code -Dmetaxy.store.javaHash=true}) the joined rows are streamed to Java, which hashes them
 * with {@link ProvenanceCalculator} and classifies each. With given samples
 * ({@link ResolveOptions#samples}) {@link SampleResolver} compares them in Java with the current
 * rows instead. See docs/metadata-store.md.
 */
public final class SqlMetadataStore implements MetadataStore {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final int MAX_IDENTIFIER = 63;
    static final String RN = "__metaxy_rn";

    private final Connection connection;
    private final SqlDialect dialect;
    private final FeatureGraph graph;
    private final DefinitionVersions versions;
    private final SampleHasher hasher;
    private final AccessMode mode;
    private final String description;
    private final Map<FeatureKey, LinkedHashMap<String, String>> schemas = new HashMap<>();
    private final Map<FeatureKey, ProvenanceCalculator> calculators = new HashMap<>();
    private boolean hashPrepared;
    /** A {@link SinkTransaction} is open on the connection: {@link #write} would commit it. */
    volatile boolean sinkOpen;

    public SqlMetadataStore(Connection connection, SqlDialect dialect, FeatureGraph graph, SampleHasher hasher,
            AccessMode mode, String description) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.dialect = Objects.requireNonNull(dialect, "dialect");
        this.graph = Objects.requireNonNull(graph, "graph");
        // Feature versions are truncated like every other hash (Metaxy's one hash_truncation_length).
        this.versions = DefinitionVersions.of(graph, hasher.length());
        this.hasher = Objects.requireNonNull(hasher, "hasher");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.description = description;
    }

    @Override
    public FeatureGraph graph() {
        return graph;
    }

    @Override
    public AccessMode mode() {
        return mode;
    }

    SqlDialect dialect() {
        return dialect;
    }

    DefinitionVersions versions() {
        return versions;
    }

    SampleHasher hasher() {
        return hasher;
    }

    /**
     * Whether resolveUpdate hashes in SQL: when the dialect can and the system property
     * {@code metaxy.store.javaHash} is not {@code true} (that forces the Java fallback, for
     * comparison and benchmarks).
     */
    boolean hashesInSql() {
        return !Boolean.getBoolean("metaxy.store.javaHash") && dialect.hashSql(hasher, "x") != null;
    }

    /** The dialect's SQL hash of {@code argument}, preparing the connection on first use. */
    String hashSql(String argument) throws SQLException {
        if (!hashPrepared) {
            dialect.prepareHash(connection, hasher);
            hashPrepared = true;
        }
        return dialect.hashSql(hasher, argument);
    }

    Connection connection() {
        return connection;
    }

    // ---------------------------------------------------------------- write

    @Override
    public synchronized int write(String feature, List<MetadataRow> rows, WriteOptions options) {
        Objects.requireNonNull(options, "options");
        if (sinkOpen) {
            throw new IllegalStateException("write during an open sink transaction on " + description
                    + ": append through the SinkTransaction, or commit it first");
        }
        forgetSchemas();
        FeatureSpec spec = spec(feature);
        requireWritable("write", spec.key());
        if (rows.isEmpty()) {
            return 0;
        }
        ProvenanceCalculator calc = calculator(spec.key());
        String featureVersion = versions.featureVersion(spec.key());
        List<MetadataRow> stamped = new ArrayList<>(rows.size());
        LinkedHashMap<String, Class<?>> userColumns = new LinkedHashMap<>();
        Map<String, Class<?>> idTypes = new LinkedHashMap<>();
        java.util.Set<String> lineageColumns = graph.carriedColumns(spec.key());
        for (MetadataRow row : rows) {
            checkLineageColumns(spec.key(), row.ids(), row.columns(), lineageColumns);
            stamped.add(stamp(spec, calc, featureVersion, options.keepFeatureVersion(), row));
            for (String id : spec.idColumns()) {
                idTypes.putIfAbsent(id, row.ids().get(id).getClass());
            }
            row.columns().forEach((name, value) -> {
                checkIdentifier(spec.key(), name);
                if (SystemColumns.isSystem(name) || spec.idColumns().contains(name)) {
                    throw new SchemaMismatchException("feature '" + spec.key() + "': user column '" + name
                            + "' collides with an id or system column");
                }
                if (value != null) {
                    userColumns.putIfAbsent(name, value.getClass());
                } else {
                    userColumns.putIfAbsent(name, null);
                }
            });
        }
        try {
            connection.setAutoCommit(false);
            try {
                ensureTable(spec, idTypes, userColumns);
                List<MetadataRow> fresh = options.skipKnownMaterializationIds() ? dropReplays(spec.key(), stamped) : stamped;
                int n = append(spec, fresh);
                connection.commit();
                return n;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly();
                schemas.remove(spec.key());
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw failure("write to feature '" + spec.key() + "' failed, nothing was written", e);
        }
    }

    /**
     * Opens the store sink's bulk append path on this store's connection (see
     * {@link SinkTransaction}); creates the ledger table if missing. One per store at a time.
     */
    public synchronized SinkTransaction sinkTransaction(String sinkId, int subtask) {
        if (mode != AccessMode.WRITE) {
            throw new ReadOnlyStoreException("cannot append: " + description + " is open in READ mode (open it with AccessMode.WRITE)");
        }
        try {
            return new SinkTransaction(this, sinkId, subtask);
        } catch (SQLException e) {
            throw failure("creating the sink ledger failed", e);
        }
    }

    /** A row names its groups: each column a 1:N or N:1 lineage groups it by ({@link io.metaxy.flink.definitions.FeatureGraph#carriedColumns}). */
    static void checkLineageColumns(FeatureKey key, Map<String, Object> ids, Map<String, Object> columns,
            java.util.Set<String> required) {
        for (String column : required) {
            Object value = ids.containsKey(column) ? ids.get(column) : columns.get(column);
            if (value == null) {
                throw new SchemaMismatchException("feature '" + key + "': row " + ids + " has "
                        + (ids.containsKey(column) || columns.containsKey(column) ? "a null" : "no")
                        + " value for 'on' column '" + column + "' (a 1:N or N:1 lineage groups this feature's rows by it)");
            }
        }
    }

    private MetadataRow stamp(FeatureSpec spec, ProvenanceCalculator calc, String featureVersion, boolean keepFeatureVersion,
            MetadataRow row) {
        FeatureKey key = spec.key();
        for (String id : spec.idColumns()) {
            if (row.ids().get(id) == null) {
                throw new SchemaMismatchException("feature '" + key + "': row " + row.ids() + " has no value for id column '"
                        + id + "'");
            }
        }
        for (String id : row.ids().keySet()) {
            if (!spec.idColumns().contains(id)) {
                throw new SchemaMismatchException("feature '" + key + "': '" + id + "' is not an id column " + spec.idColumns());
            }
        }
        if (row.provenanceByField() == null) {
            throw new SchemaMismatchException("feature '" + key + "': row " + row.ids() + " has no "
                    + SystemColumns.PROVENANCE_BY_FIELD + (spec.isRoot() ? " (root rows carry it from the writer)"
                            : " (non-root rows carry the expected one from the increment)"));
        }
        Set<String> fields = new TreeSet<>(calc.fieldNames());
        checkFields(key, row, SystemColumns.PROVENANCE_BY_FIELD, row.provenanceByField(), fields);
        Map<String, String> dataByField = row.effectiveDataVersionByField();
        checkFields(key, row, SystemColumns.DATA_VERSION_BY_FIELD, dataByField, fields);
        String provenance = calc.provenance(row.provenanceByField());
        if (row.provenance() != null && !row.provenance().equals(provenance)) {
            throw new SchemaMismatchException("feature '" + key + "': row " + row.ids() + " has " + SystemColumns.PROVENANCE
                    + " '" + row.provenance() + "' but its " + SystemColumns.PROVENANCE_BY_FIELD + " gives '" + provenance + "'");
        }
        String dataVersion = calc.provenance(dataByField);
        if (row.dataVersion() != null && !row.dataVersion().equals(dataVersion)) {
            throw new SchemaMismatchException("feature '" + key + "': row " + row.ids() + " has " + SystemColumns.DATA_VERSION
                    + " '" + row.dataVersion() + "' but its " + SystemColumns.DATA_VERSION_BY_FIELD + " gives '" + dataVersion + "'");
        }
        // Always stamped, as Metaxy's write does (a supplied updated_at is not trusted), from the
        // JVM-wide clock: a later append from any store of this JVM sorts later on read.
        Instant now = StoreClock.next();
        return row.toBuilder()
                .provenance(provenance)
                .dataVersionByField(dataByField)
                .dataVersion(dataVersion)
                // The current version unless the caller preserves the supplied one (Metaxy's
                // preserve_feature_version; the stream's sink stores rows of other feature versions).
                .featureVersion(keepFeatureVersion && row.featureVersion() != null ? row.featureVersion() : featureVersion)
                .createdAt(row.createdAt() != null ? row.createdAt() : now)
                .updatedAt(now)
                .build();
    }

    private static void checkFields(FeatureKey key, MetadataRow row, String column, Map<String, String> map, Set<String> fields) {
        if (!new TreeSet<>(map.keySet()).equals(fields)) {
            throw new SchemaMismatchException("feature '" + key + "': row " + row.ids() + " has " + column + " for fields "
                    + new TreeSet<>(map.keySet()) + " but the spec has fields " + fields);
        }
        map.forEach((field, value) -> {
            if (value == null) {
                throw new SchemaMismatchException("feature '" + key + "': row " + row.ids() + " has a null " + column
                        + " for field '" + field + "'");
            }
        });
    }

    private List<MetadataRow> dropReplays(FeatureKey key, List<MetadataRow> rows) throws SQLException {
        List<String> ids = rows.stream().map(MetadataRow::materializationId).filter(Objects::nonNull).distinct().toList();
        if (ids.isEmpty()) {
            return rows;
        }
        Set<String> seen = new HashSet<>();
        String sql = "SELECT " + q(SystemColumns.MATERIALIZATION_ID) + " FROM " + q(key.tableName()) + " WHERE "
                + dialect.inTextArray(q(SystemColumns.MATERIALIZATION_ID));
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            // One array parameter: a single scan of the table per write, whatever the batch size.
            dialect.bindTextArray(connection, ps, 1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    seen.add(rs.getString(1));
                }
            }
        }
        List<MetadataRow> fresh = new ArrayList<>(rows.size());
        for (MetadataRow row : rows) {
            if (row.materializationId() == null || seen.add(row.materializationId())) {
                fresh.add(row);
            }
        }
        return fresh;
    }

    /**
     * Appends the stamped rows in the open transaction through the same bulk path as the store
     * sink ({@link TableAppender}: DuckDB's appender, PostgreSQL's {@code COPY}). Multi-row
     * INSERTs ran at ~10k rows/s on DuckDB, most of it spent re-binding the statement.
     */
    private int append(FeatureSpec spec, List<MetadataRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return 0;
        }
        TableAppender.openTransactionNow(connection);
        TableAppender table = new TableAppender(this, spec);
        List<String> fields = table.fields;
        try {
            for (MetadataRow row : rows) {
                requireSupportedTypes(spec.key(), table, row.ids());
                requireSupportedTypes(spec.key(), table, row.columns());
                Object[] values = table.values(row.ids(), row.columns(), SinkTransaction.byField(fields, row.provenanceByField()),
                        row.provenance(), SinkTransaction.byField(fields, row.dataVersionByField()), row.dataVersion(),
                        row.featureVersion(), StoreClock.micros(row.createdAt()), StoreClock.micros(row.updatedAt()),
                        row.deletedAt() == null ? null : StoreClock.micros(row.deletedAt()), row.materializationId(),
                        row.projectVersion(), row.definitionVersion());
                table.checkTypes(row.ids(), values);
                table.add(values);
            }
            table.flush();
        } finally {
            table.closeAppender();
        }
        return rows.size();
    }

    /** Values of a non-text column are one of the types a row may carry; a text column takes anything as its string. */
    private static void requireSupportedTypes(FeatureKey key, TableAppender table, Map<String, Object> values) {
        values.forEach((column, value) -> {
            if (value == null || value instanceof Integer || value instanceof Long || value instanceof Short
                    || value instanceof Double || value instanceof Float || value instanceof Boolean || value instanceof String
                    || value instanceof BigDecimal || table.kind(column) == ColumnKind.TEXT) {
                return;
            }
            throw new SchemaMismatchException("feature '" + key + "': column '" + column + "' has a value of unsupported type "
                    + value.getClass().getSimpleName() + " (use String, Long, Double or Boolean)");
        });
    }



    void ensureTable(FeatureSpec spec, Map<String, Class<?>> idTypes, Map<String, Class<?>> userColumns)
            throws SQLException {
        FeatureKey key = spec.key();
        LinkedHashMap<String, String> schema = schema(key);
        String table = q(key.tableName());
        try (Statement st = connection.createStatement()) {
            if (schema.isEmpty()) {
                List<String> defs = new ArrayList<>();
                for (String id : spec.idColumns()) {
                    checkIdentifier(key, id);
                    defs.add(q(id) + " " + dialect.sqlType(idTypes.get(id)) + " NOT NULL");
                }
                userColumns.forEach((name, type) -> defs.add(q(name) + " " + dialect.sqlType(type)));
                List<String> fields = calculator(key).fieldNames();
                defs.add(q(SystemColumns.PROVENANCE_BY_FIELD) + " " + dialect.byFieldType(fields) + " NOT NULL");
                defs.add(q(SystemColumns.PROVENANCE) + " " + dialect.sqlType(String.class) + " NOT NULL");
                defs.add(q(SystemColumns.DATA_VERSION_BY_FIELD) + " " + dialect.byFieldType(fields) + " NOT NULL");
                defs.add(q(SystemColumns.DATA_VERSION) + " " + dialect.sqlType(String.class) + " NOT NULL");
                defs.add(q(SystemColumns.FEATURE_VERSION) + " " + dialect.sqlType(String.class) + " NOT NULL");
                defs.add(q(SystemColumns.CREATED_AT) + " TIMESTAMPTZ NOT NULL");
                defs.add(q(SystemColumns.UPDATED_AT) + " TIMESTAMPTZ NOT NULL");
                defs.add(q(SystemColumns.DELETED_AT) + " TIMESTAMPTZ");
                defs.add(q(SystemColumns.MATERIALIZATION_ID) + " " + dialect.sqlType(String.class));
                for (String column : SystemColumns.OPTIONAL) {
                    defs.add(q(column) + " " + dialect.sqlType(String.class));
                }
                st.execute("CREATE TABLE IF NOT EXISTS " + table + " (" + String.join(", ", defs) + ")");
                if (dialect instanceof PostgresDialect) {
                    // The idempotency check looks rows up by materialization id on every sink batch.
                    st.execute("CREATE INDEX IF NOT EXISTS " + q(key.tableName() + "__mid") + " ON " + table + " ("
                            + q(SystemColumns.MATERIALIZATION_ID) + ")");
                }
            } else {
                for (String id : spec.idColumns()) {
                    if (!schema.containsKey(id)) {
                        throw new SchemaMismatchException("feature '" + key + "': table " + key.tableName()
                                + " has no id column '" + id + "'");
                    }
                }
                List<String> fields = calculator(key).fieldNames();
                for (String column : List.of(SystemColumns.PROVENANCE_BY_FIELD, SystemColumns.DATA_VERSION_BY_FIELD)) {
                    // A STRUCT column of a feature that has gained fields since the table was made.
                    String widen = dialect.widenByField(table, column, schema.get(column), fields);
                    if (widen != null) {
                        st.execute(widen);
                    }
                }
                for (String column : SystemColumns.OPTIONAL) {
                    if (!schema.containsKey(column)) {
                        // A table of an older version of this port: Metaxy's other system columns.
                        st.execute("ALTER TABLE " + table + " ADD COLUMN " + q(column) + " " + dialect.sqlType(String.class));
                    }
                }
                for (Map.Entry<String, Class<?>> column : userColumns.entrySet()) {
                    if (!schema.containsKey(column.getKey())) {
                        st.execute("ALTER TABLE " + table + " ADD COLUMN " + q(column.getKey()) + " "
                                + dialect.sqlType(column.getValue()));
                    }
                }
            }
        }
        schemas.remove(key);
    }

    // ---------------------------------------------------------------- read

    @Override
    public synchronized List<MetadataRow> read(String feature, ReadOptions options) {
        List<MetadataRow> out = new ArrayList<>();
        try (Rows rows = readRows(feature, options)) {
            rows.forEachRemaining(out::add);
        }
        return out;
    }

    @Override
    public synchronized Rows readRows(String feature, ReadOptions options) {
        forgetSchemas();
        FeatureSpec spec = spec(feature);
        FeatureKey key = spec.key();
        try {
            LinkedHashMap<String, String> schema = schema(key);
            if (schema.isEmpty()) {
                return ResultRows.EMPTY;
            }
            List<String> userColumns = new ArrayList<>();
            for (String column : schema.keySet()) {
                if (!spec.idColumns().contains(column) && !SystemColumns.isSystem(column)
                        && (options.columns() == null || options.columns().contains(column))) {
                    userColumns.add(column);
                }
            }
            if (options.columns() != null) {
                for (String wanted : options.columns()) {
                    if (!schema.containsKey(wanted)) {
                        throw new SchemaMismatchException("feature '" + key + "': no column '" + wanted + "' (table has "
                                + schema.keySet() + ")");
                    }
                }
            }
            List<Object> params = new ArrayList<>();
            String source;
            if (options.history()) {
                source = q(key.tableName());
            } else {
                source = "(" + latestRows(spec, !options.allFeatureVersions() && !options.featureHistory(),
                        !options.includeDeleted(), options.allFeatureVersions(), params) + ")";
            }
            // Only the wanted columns cross JDBC; the row-number column of latestRows stays behind.
            List<String> select = new ArrayList<>();
            for (String id : spec.idColumns()) {
                select.add("r." + q(id));
            }
            for (String column : userColumns) {
                select.add("r." + q(column));
            }
            for (String column : SystemColumns.ALL) {
                select.add(SystemColumns.isTimestamp(column)
                        ? dialect.selectTimestamp("r." + q(column)) + " AS " + q(column) : "r." + q(column));
            }
            for (String column : SystemColumns.OPTIONAL) {
                select.add((schema.containsKey(column) ? "r." + q(column) : "CAST(NULL AS " + dialect.sqlType(String.class) + ")")
                        + " AS " + q(column));
            }
            StringBuilder sql = new StringBuilder("SELECT ").append(String.join(", ", select)).append(" FROM ").append(source).append(" r");
            if (options.filter() != null) {
                sql.append(" WHERE ").append(new FilterRenderer(key, schema, "filter").render(options.filter(), "r", params));
            }
            sql.append(" ORDER BY ").append(String.join(", ", spec.idColumns().stream().map(c -> "r." + q(c)).toList()));
            if (options.history() || options.allFeatureVersions()) {
                sql.append(", r.").append(q(SystemColumns.UPDATED_AT));
            }
            // PostgreSQL fetches a result in parts (the fetch size) only inside a transaction; without
            // one it would load the whole table into this JVM. DuckDB keeps results natively.
            boolean ownTransaction = dialect instanceof PostgresDialect && connection.getAutoCommit();
            if (ownTransaction) {
                connection.setAutoCommit(false);
            }
            Runnable end = () -> {
                if (ownTransaction) {
                    try {
                        connection.commit();
                        connection.setAutoCommit(true);
                    } catch (SQLException e) {
                        throw failure("read of feature '" + key + "' failed", e);
                    }
                }
            };
            PreparedStatement ps = prepare(sql.toString(), params);
            try {
                ps.setFetchSize(READ_FETCH_SIZE);
                return new ResultRows(ps, ps.executeQuery(), rs -> readRow(rs, spec, userColumns),
                        e -> failure("read of feature '" + key + "' failed", e), end);
            } catch (SQLException e) {
                ps.close();
                end.run();
                throw e;
            }
        } catch (SQLException e) {
            throw failure("read of feature '" + key + "' failed", e);
        }
    }

    static final int READ_FETCH_SIZE = 10_000;

    private MetadataRow readRow(ResultSet rs, FeatureSpec spec, List<String> userColumns) throws SQLException {
        MetadataRow.Builder b = MetadataRow.builder();
        Map<String, Object> ids = new LinkedHashMap<>();
        for (String id : spec.idColumns()) {
            ids.put(id, normalize(rs.getObject(id)));
        }
        b.ids(ids);
        for (String column : userColumns) {
            b.column(column, normalize(rs.getObject(column)));
        }
        return b.provenanceByField(dialect.readByField(rs, rs.findColumn(SystemColumns.PROVENANCE_BY_FIELD)))
                .provenance(rs.getString(SystemColumns.PROVENANCE))
                .dataVersionByField(dialect.readByField(rs, rs.findColumn(SystemColumns.DATA_VERSION_BY_FIELD)))
                .dataVersion(rs.getString(SystemColumns.DATA_VERSION))
                .featureVersion(rs.getString(SystemColumns.FEATURE_VERSION))
                .createdAt(instant(rs, SystemColumns.CREATED_AT))
                .updatedAt(instant(rs, SystemColumns.UPDATED_AT))
                .deletedAt(instant(rs, SystemColumns.DELETED_AT))
                .materializationId(rs.getString(SystemColumns.MATERIALIZATION_ID))
                .projectVersion(rs.getString(SystemColumns.PROJECT_VERSION))
                .definitionVersion(rs.getString(SystemColumns.DEFINITION_VERSION))
                .build();
    }

    private Instant instant(ResultSet rs, String column) throws SQLException {
        return dialect.readTimestamp(rs, rs.findColumn(column));
    }

    /** JSON-like Java values for ids and user columns, whatever width the driver returns. */
    static Object normalize(Object value) {
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big) {
            return big.longValue();
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        return value;
    }

    /**
     * The latest row per sample (Metaxy's dedup: newest {@code coalesce(deleted_at, updated_at)}
     * first), optionally only the current feature version and without soft-deleted samples.
     * Ties (equal supplied timestamps, or stamps from two processes) are broken the same way on
     * every read and backend: a tombstone first, then the larger updated_at, materialization id
     * (nulls last), provenance, data version and created_at, text compared by code point.
     */
    String latestRows(FeatureSpec spec, boolean currentVersionOnly, boolean hideDeleted, boolean perVersion,
            List<Object> params) {
        List<String> partition = new ArrayList<>(spec.idColumns().stream().map(SqlMetadataStore::q).toList());
        if (perVersion) {
            partition.add(q(SystemColumns.FEATURE_VERSION));
        }
        String text = dialect.sqlType(String.class);
        String order = String.join(", ",
                "coalesce(" + q(SystemColumns.DELETED_AT) + ", " + q(SystemColumns.UPDATED_AT) + ") DESC",
                "(" + q(SystemColumns.DELETED_AT) + " IS NOT NULL) DESC",
                q(SystemColumns.UPDATED_AT) + " DESC",
                dialect.textOrder(q(SystemColumns.MATERIALIZATION_ID), text) + " DESC NULLS LAST",
                dialect.textOrder(q(SystemColumns.PROVENANCE), text) + " DESC",
                dialect.textOrder(q(SystemColumns.DATA_VERSION), text) + " DESC",
                q(SystemColumns.CREATED_AT) + " DESC");
        String table = q(spec.key().tableName());
        String version = null;
        if (currentVersionOnly) {
            version = q(SystemColumns.FEATURE_VERSION) + " = ?";
        }
        String window = "row_number() OVER (PARTITION BY " + String.join(", ", partition) + " ORDER BY " + order + ")";
        StringBuilder sql = new StringBuilder("SELECT * FROM (");
        if (dialect.ranksOnlyDuplicates()) {
            // Samples with one row need no ranking: they pass as they are (rank 1), and only the
            // samples with several rows go through the window (none, usually).
            String duplicates = "SELECT " + String.join(", ", partition) + " FROM " + table + (version == null ? "" : " WHERE " + version)
                    + " GROUP BY " + String.join(", ", partition) + " HAVING count(*) > 1";
            String sameSample = String.join(" AND ", partition.stream().map(c -> "d." + c + " IS NOT DISTINCT FROM t." + c).toList());
            String where = version == null ? "" : " WHERE t." + version;
            sql.append("SELECT t.*, 1 AS ").append(RN).append(" FROM ").append(table).append(" t ANTI JOIN (").append(duplicates)
                    .append(") d ON ").append(sameSample).append(where)
                    .append(" UNION ALL SELECT t.*, ").append(window).append(" AS ").append(RN).append(" FROM ").append(table)
                    .append(" t SEMI JOIN (").append(duplicates).append(") d ON ").append(sameSample).append(where);
            if (currentVersionOnly) {
                String fv = versions.featureVersion(spec.key());
                params.add(fv);
                params.add(fv);
                params.add(fv);
                params.add(fv);
            }
        } else {
            sql.append("SELECT t.*, ").append(window).append(" AS ").append(RN).append(" FROM ").append(table).append(" t");
            if (currentVersionOnly) {
                sql.append(" WHERE ").append(version);
                params.add(versions.featureVersion(spec.key()));
            }
        }
        sql.append(") z WHERE ").append(RN).append(" = 1");
        if (hideDeleted) {
            sql.append(" AND ").append(q(SystemColumns.DELETED_AT)).append(" IS NULL");
        }
        return sql.toString();
    }

    // ---------------------------------------------------------------- resolve

    /**
     * Checks the request now; the query is built from the tables as they are when it is shown or
     * collected (see {@link SqlLazyIncrement}). The hashing path is fixed here.
     */
    @Override
    public LazyIncrement resolveUpdateLazy(String feature, ResolveOptions options) {
        FeatureSpec spec = spec(feature);
        Objects.requireNonNull(options, "options");
        if (options.globalFilter() != null) {
            List<String> keys = options.samples() != null ? spec.idColumns() : ResolveOptions.targetColumns(spec);
            for (String column : options.globalFilter().columns()) {
                if (!keys.contains(column)) {
                    throw new SchemaMismatchException("feature '" + spec.key() + "': global filter column '" + column
                            + "' is not one of the columns its increments are keyed by " + keys
                            + " (filter the feature's own rows by other columns with a target filter)");
                }
            }
        }
        if (options.samples() != null) {
            return new SampleResolver(this, spec, options);
        }
        if (spec.isRoot()) {
            // As Metaxy's resolve_update: a root's samples come from outside the graph.
            throw new IllegalArgumentException("feature '" + spec.key() + "' is a root feature (no upstream): resolveUpdate needs"
                    + " its samples, with " + spec.idColumns() + " and " + SystemColumns.PROVENANCE_BY_FIELD
                    + " (ResolveOptions.samples, or metadata resolve --samples FILE)");
        }
        return new SqlLazyIncrement(this, spec, options, hashesInSql());
    }

    // ---------------------------------------------------------------- delete / drop

    @Override
    public synchronized int delete(String feature, Filter filter, DeleteMode deleteMode, boolean withFeatureHistory) {
        forgetSchemas();
        FeatureSpec spec = spec(feature);
        FeatureKey key = spec.key();
        requireWritable("delete", key);
        try {
            LinkedHashMap<String, String> schema = schema(key);
            if (schema.isEmpty()) {
                return 0;
            }
            List<Object> params = new ArrayList<>();
            FilterRenderer filters = new FilterRenderer(key, schema, "filter");
            String sql;
            if (deleteMode == DeleteMode.HARD) {
                List<String> where = new ArrayList<>();
                if (!withFeatureHistory) {
                    // As Metaxy's delete(…, soft=False): only the current feature version's rows.
                    where.add(q(SystemColumns.FEATURE_VERSION) + " = ?");
                    params.add(versions.featureVersion(key));
                }
                if (filter != null) {
                    where.add("(" + filters.render(filter, null, params) + ")");
                }
                sql = "DELETE FROM " + q(key.tableName()) + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where));
            } else {
                Instant now = StoreClock.next();
                List<String> columns = new ArrayList<>(schema.keySet());
                List<String> select = new ArrayList<>();
                List<Object> selectParams = new ArrayList<>();
                for (String column : columns) {
                    switch (column) {
                        case SystemColumns.UPDATED_AT, SystemColumns.DELETED_AT -> {
                            select.add("?");
                            selectParams.add(OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                        }
                        case SystemColumns.MATERIALIZATION_ID -> select.add("NULL");
                        default -> select.add("r." + q(column));
                    }
                }
                params.addAll(selectParams);
                // Each sample's latest row of the current feature version, or of every version.
                String latest = latestRows(spec, !withFeatureHistory, true, withFeatureHistory, params);
                sql = "INSERT INTO " + q(key.tableName()) + " (" + String.join(", ", columns.stream().map(SqlMetadataStore::q).toList())
                        + ") SELECT " + String.join(", ", select) + " FROM (" + latest + ") r"
                        + (filter == null ? "" : " WHERE " + filters.render(filter, "r", params));
            }
            try (PreparedStatement ps = prepare(sql, params)) {
                return ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw failure("delete from feature '" + key + "' failed", e);
        }
    }

    @Override
    public synchronized void drop(String feature) {
        FeatureKey key = spec(feature).key();
        requireWritable("drop", key);
        try (Statement st = connection.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + q(key.tableName()));
        } catch (SQLException e) {
            throw failure("drop of feature '" + key + "' failed", e);
        } finally {
            schemas.remove(key);
        }
    }

    @Override
    public synchronized List<FeatureKey> features() {
        Set<String> tables = new HashSet<>();
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw failure("listing tables failed", e);
        }
        return graph.keys().stream().filter(k -> tables.contains(k.tableName())).sorted().toList();
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new StoreConnectionException("closing " + description + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "SqlMetadataStore[" + description + ", " + mode + "]";
    }

    // ---------------------------------------------------------------- shared helpers

    FeatureSpec spec(String feature) {
        FeatureKey key;
        try {
            key = FeatureKey.of(feature);
        } catch (DefinitionException e) {
            throw new UnknownFeatureException("unknown feature '" + feature + "': " + e.getMessage());
        }
        FeatureSpec spec = graph.find(key).orElseThrow(() -> new UnknownFeatureException(
                "unknown feature '" + feature + "' (the graph has " + new TreeSet<>(graph.keys()) + ")"));
        String table = key.tableName();
        if (table.length() > MAX_IDENTIFIER) {
            throw new SchemaMismatchException("feature '" + key + "': table name '" + table + "' is longer than "
                    + MAX_IDENTIFIER + " characters");
        }
        return spec;
    }

    synchronized ProvenanceCalculator calculator(FeatureKey key) {
        return calculators.computeIfAbsent(key, k -> ProvenanceCalculator.of(graph, k, hasher));
    }

    /**
     * Drops the cached table schemas: other stores (the job's sink, another process) may have
     * added tables or columns since the last call.
     */
    synchronized void forgetSchemas() {
        schemas.clear();
    }

    /** Column name → SQL type of the feature's table, in table order; empty when there is no table. Cached within one call. */
    LinkedHashMap<String, String> schema(FeatureKey key) throws SQLException {
        LinkedHashMap<String, String> cached = schemas.get(key);
        if (cached != null) {
            return cached;
        }
        LinkedHashMap<String, String> columns = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT column_name, data_type FROM information_schema.columns"
                + " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position")) {
            ps.setString(1, key.tableName());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        if (!columns.isEmpty()) {
            schemas.put(key, columns);
        }
        return columns;
    }

    PreparedStatement prepare(String sql, List<Object> params) throws SQLException {
        PreparedStatement ps = connection.prepareStatement(sql);
        try {
            for (int i = 0; i < params.size(); i++) {
                ps.setObject(i + 1, params.get(i));
            }
        } catch (SQLException e) {
            ps.close();
            throw e;
        }
        return ps;
    }

    static String q(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    static void checkIdentifier(FeatureKey key, String name) {
        if (!IDENTIFIER.matcher(name).matches() || name.length() > MAX_IDENTIFIER) {
            throw new SchemaMismatchException("feature '" + key + "': column name '" + name
                    + "' must match " + IDENTIFIER.pattern() + " and have at most " + MAX_IDENTIFIER + " characters");
        }
    }

    private void requireWritable(String operation, FeatureKey key) {
        if (mode != AccessMode.WRITE) {
            throw new ReadOnlyStoreException("cannot " + operation + " feature '" + key + "': " + description
                    + " is open in READ mode (open it with AccessMode.WRITE)");
        }
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // The original failure is the one worth reporting.
        }
    }

    MetadataStoreException failure(String what, SQLException e) {
        return switch (dialect.classify(e)) {
            case CONNECTION -> new StoreConnectionException(what + ": lost connection to " + description + ": " + e.getMessage(), e);
            case SCHEMA -> new SchemaMismatchException(what + ": " + e.getMessage(), e);
            case OTHER -> new MetadataStoreException(what + ": " + e.getMessage(), e);
        };
    }
}
