package io.metaxy.flink.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The test server's own robustness: hanging commands, a taken port, servers left behind by a killed JVM. */
class PostgresServerITCase {

    @Test
    void aHangingCommandTimesOutAndIsKilled() throws Exception {
        Path marker = Files.createTempFile("mxpg-hang", ".pid");
        try {
            // The child keeps the output open as long as it runs: reading it to the end would block for 60 s.
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(() -> PostgresServer.run(
                    List.of("sh", "-c", "echo $$ > " + marker + "; echo started; exec sleep 60"), 2))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("timed out").hasMessageContaining("started"));
            long pid = Long.parseLong(Files.readString(marker, StandardCharsets.UTF_8).trim());
            Optional<ProcessHandle> left = ProcessHandle.of(pid);
            assertThat(left.isEmpty() || !left.get().isAlive()).as("the timed-out process was killed").isTrue();
        } finally {
            Files.deleteIfExists(marker);
        }
    }

    @Test
    void startMovesToAnotherPortWhenTheFirstIsTakenAndOrphansAreStoppedAndRemoved() throws Exception {
        String user = PostgresServer.runAsUser();
        Path base = Files.createTempDirectory("mxpgtest");
        // Reachable by the server's user when that is not us (temp directories are created private).
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        PostgresServer server = null;
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Deque<Integer> ports = new ArrayDeque<>(List.of(taken.getLocalPort()));
            server = PostgresServer.start(PostgresServer.binaries(), base, user,
                    () -> ports.isEmpty() ? PostgresServer.freePort() : ports.pop());
            assertThat(server.port()).isNotEqualTo(taken.getLocalPort());
            String url = server.newDatabase();
            try (MetadataStore store = MetadataStores.open(url, TestGraphs.graph("1"), AccessMode.WRITE)) {
                store.write(TestGraphs.VIDEO, List.of(TestGraphs.video(1, "a", "f")));
                assertThat(store.read(TestGraphs.VIDEO)).hasSize(1);
            }

            // A directory of this (live) JVM is not an orphan.
            assertThat(PostgresServer.removeOrphans(base, PostgresServer.binaries(), user)).isZero();
            assertThat(server.directory()).exists();

            // Pretend its JVM was killed: its owner record now names a process that has exited.
            Process gone = new ProcessBuilder("true").start();
            gone.waitFor();
            String deadOwner = PostgresServer.ownerStamp(gone.toHandle()).replaceFirst(" .*", " " + java.time.Instant.EPOCH);
            Files.writeString(server.directory().resolve(PostgresServer.OWNER_FILE), deadOwner, StandardCharsets.UTF_8);
            assertThat(PostgresServer.removeOrphans(base, PostgresServer.binaries(), user)).isEqualTo(1);
            assertThat(server.directory()).doesNotExist();
            int port = server.port();
            assertThatThrownBy(() -> {
                try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "")) {
                    c.isValid(1);
                }
            }).as("the orphan's server was stopped").isInstanceOf(java.sql.SQLException.class);
            server = null;
        } finally {
            if (server != null) {
                server.stop();
            }
            try (var files = Files.walk(base)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
