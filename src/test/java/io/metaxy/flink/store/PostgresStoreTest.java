package io.metaxy.flink.store;

/** The store suite on a real PostgreSQL server (see {@link PostgresServer}), a fresh database per test. */
class PostgresStoreTest extends MetadataStoreContract {
    @Override
    String newStoreUrl() {
        return PostgresServer.get().newDatabase();
    }
}
