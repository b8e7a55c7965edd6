package io.metaxy.flink.store;

/** The store suite on a real PostgreSQL server (see {@link PostgresServer}), a fresh database per test. */
class PostgresStoreTest extends MetadataStoreContract {
    @org.junit.jupiter.api.Test
    void jdbcUrlFormOpensTheSameDatabase() {
        store.write(TestGraphs.VIDEO, java.util.List.of(TestGraphs.video(1, "a", "f")));
        String jdbc = "jdbc:" + url.replace("postgres@", "") + "?user=postgres";
        try (MetadataStore other = MetadataStores.open(jdbc, graph, AccessMode.READ)) {
            org.assertj.core.api.Assertions.assertThat(other.read(TestGraphs.VIDEO)).hasSize(1);
        }
    }

    @org.junit.jupiter.api.Test
    void unreachableServerIsAConnectionFailure() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String unreachable = "postgresql://postgres@127.0.0.1:" + port + "/none";
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MetadataStores.open(unreachable, graph, AccessMode.READ))
                .isInstanceOf(StoreConnectionException.class).hasMessageContaining("127.0.0.1:" + port);
    }

    @Override
    String newStoreUrl() {
        return PostgresServer.get().newDatabase();
    }
}
