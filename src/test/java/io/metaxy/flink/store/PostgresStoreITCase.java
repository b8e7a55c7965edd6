package io.metaxy.flink.store;

/** The store suite on a real PostgreSQL server (see {@link PostgresServer}), a fresh database per test. */
class PostgresStoreITCase extends MetadataStoreContract {
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

    @org.junit.jupiter.api.Test
    void serverEndingTheSessionIsAConnectionFailure() throws Exception {
        store.write(TestGraphs.VIDEO, java.util.List.of(TestGraphs.video(1, "a", "f")));
        String database = url.substring(url.lastIndexOf('/') + 1);
        try (java.sql.Connection admin = java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + PostgresServer.get().port() + "/postgres", "postgres", "");
                java.sql.PreparedStatement ps = admin.prepareStatement(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?")) {
            ps.setString(1, database);
            ps.executeQuery().close();
        }
        // SQLSTATE 57P01 (admin shutdown), or 08xxx when the driver notices the socket first.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.read(TestGraphs.VIDEO))
                .isInstanceOf(StoreConnectionException.class).hasMessageContaining(TestGraphs.VIDEO);
    }

    @Override
    String newStoreUrl() {
        return PostgresServer.get().newDatabase();
    }
}
