package io.metaxy.flink.stream;

import io.metaxy.flink.store.PostgresServer;

/** {@link StoreSinkExactlyOnceContract} on PostgreSQL (COPY path), a fresh database per store. */
class StoreSinkExactlyOncePostgresITCase extends StoreSinkExactlyOnceContract {
    @Override
    String newStore() {
        return PostgresServer.get().newDatabase();
    }

    @Override
    boolean severalWriters() {
        return true;
    }
}
