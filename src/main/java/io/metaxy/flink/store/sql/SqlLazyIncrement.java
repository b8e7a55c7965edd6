package io.metaxy.flink.store.sql;

import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.store.Increment;
import io.metaxy.flink.store.LazyIncrement;
import io.metaxy.flink.store.ResolveOptions;
import java.sql.SQLException;
import java.util.List;

/**
 * The {@link LazyIncrement} of {@link SqlMetadataStore}: it keeps the request (feature, options,
 * hashing path) and builds the query only when asked for it, from the tables as they are then,
 * so a parent or child table or a user column created after {@code resolveUpdateLazy} is seen.
 */
final class SqlLazyIncrement implements LazyIncrement {
    private final SqlMetadataStore store;
    private final FeatureSpec spec;
    private final ResolveOptions options;
    private final boolean sqlHash;

    SqlLazyIncrement(SqlMetadataStore store, FeatureSpec spec, ResolveOptions options, boolean sqlHash) {
        this.store = store;
        this.spec = spec;
        this.options = options;
        this.sqlHash = sqlHash;
    }

    @Override
    public String sql() {
        synchronized (store) {
            return plan().sql();
        }
    }

    @Override
    public List<Object> parameters() {
        synchronized (store) {
            return plan().parameters();
        }
    }

    @Override
    public Increment collect() {
        // One lock from reading the schemas to the last row: the plan matches the tables it runs on.
        synchronized (store) {
            try {
                return plan().run();
            } catch (SQLException e) {
                throw store.failure("resolveUpdate of feature '" + spec.key() + "' failed", e);
            }
        }
    }

    private ResolveQuery.Plan plan() {
        // Other stores (the job's sink, another process) may have added tables or columns since.
        store.forgetSchemas();
        try {
            return new ResolveQuery(store, spec, store.calculator(spec.key()), options, sqlHash).plan();
        } catch (SQLException e) {
            throw store.failure("resolveUpdate of feature '" + spec.key() + "' failed", e);
        }
    }
}
