package io.metaxy.flink.store;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests, started once per JVM from the Debian binaries
 * ({@code /usr/lib/postgresql/N/bin}, or {@code $PG_BIN}) on a free 127.0.0.1 port, with its
 * data in a directory {@code mxpg*} under the temp directory; stopped by a shutdown hook.
 * Every {@link #newDatabase()} is a fresh, empty database.
 *
 * <p>Made to survive a fresh CI machine running as root:
 * <ul>
 *   <li>PostgreSQL refuses to run as root, so when the JVM's uid is 0 the binaries run as an
 *       unprivileged user ({@code $PG_TEST_USER}, else {@code postgres}, else {@code nobody})
 *       through {@code runuser} (or {@code su}); the data directory is placed where that user can
 *       reach it ({@code java.io.tmpdir}, else {@code /tmp}).</li>
 *   <li>Commands write their output to a file and are waited for with a timeout, so a hanging
 *       {@code initdb}/{@code pg_ctl} fails the run instead of blocking it (the process tree is
 *       killed).</li>
 *   <li>The free port is only free until someone takes it: the start is retried on new ports.</li>
 *   <li>Each server directory records its JVM (pid and start time). A JVM killed before its
 *       shutdown hook leaves a server running; the next start stops such orphans (servers whose
 *       JVM is gone) and removes their directories.</li>
 * </ul>
 */
public final class PostgresServer {
    static final String PREFIX = "mxpg";
    static final String OWNER_FILE = "owner";
    private static final int START_ATTEMPTS = 5;
    private static PostgresServer instance;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private final Path bin;
    private final Path dir;
    private final int port;
    /** The user the binaries run as, or null to run them as the JVM's user. */
    private final String user;

    private PostgresServer(Path bin, Path dir, int port, String user) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.user = user;
    }

    public static synchronized PostgresServer get() {
        if (instance == null) {
            Path bin = findBinaries();
            String user = runAsUser();
            Path base = baseDirectory(user);
            removeOrphans(base, bin, user);
            instance = start(bin, base, user, PostgresServer::freePort);
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
        }
        return instance;
    }

    /** Creates an empty database and returns its store URL, e.g. {@code postgresql://postgres@127.0.0.1:5599/t3}. */
    public String newDatabase() {
        String name = "t" + DATABASES.incrementAndGet();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database: " + e.getMessage(), e);
        }
        return "postgresql://postgres@127.0.0.1:" + port + "/" + name;
    }

    int port() {
        return port;
    }

    Path directory() {
        return dir;
    }

    static Path binaries() {
        return findBinaries();
    }

    /** Initialises a cluster under a new {@code mxpg*} directory of {@code base} and starts it on the first port that works. */
    static PostgresServer start(Path bin, Path base, String user, IntSupplier ports) {
        Path dir;
        try {
            dir = Files.createTempDirectory(base, PREFIX);
            Files.writeString(dir.resolve(OWNER_FILE), ownerStamp(ProcessHandle.current()), StandardCharsets.UTF_8);
            if (user != null) {
                run(List.of("chown", "-R", user, dir.toString()), 30);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a PostgreSQL directory under " + base + ": " + e.getMessage(), e);
        }
        Path data = dir.resolve("data");
        run(asUser(user, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "--auth=trust",
                "--locale=C", "-E", "UTF8", "--no-sync")), 120);
        IllegalStateException last = null;
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            int port = ports.getAsInt();
            try {
                run(asUser(user, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("log").toString(),
                        "-w", "-t", "60", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
                                + " -c synchronous_commit=off -c full_page_writes=off", "start")), 90);
                return new PostgresServer(bin, dir, port, user);
            } catch (IllegalStateException e) {
                // Most likely someone took the port between finding and binding it: try another.
                last = e;
                stopServer(bin, data, user);
            }
        }
        throw new IllegalStateException("PostgreSQL did not start after " + START_ATTEMPTS + " ports; last failure: "
                + last.getMessage(), last);
    }

    void stop() {
        stopServer(bin, dir.resolve("data"), user);
        deleteTree(dir);
    }

    private static void stopServer(Path bin, Path data, String user) {
        try {
            run(asUser(user, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop")), 60);
        } catch (RuntimeException ignored) {
            // Not running (or already gone): nothing to stop.
        }
    }

    /**
     * Stops the servers of {@code mxpg*} directories under {@code base} whose JVM is gone and
     * removes the directories. Directories without an owner record (another version's, or one
     * being created right now) and those of live JVMs are left alone.
     *
     * @return how many were removed
     */
    static int removeOrphans(Path base, Path bin, String user) {
        int removed = 0;
        try (Stream<Path> entries = Files.list(base)) {
            for (Path candidate : entries.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p)).toList()) {
                Optional<String> owner = readOwner(candidate);
                if (owner.isPresent() && !isAlive(owner.get())) {
                    stopServer(bin, candidate.resolve("data"), user);
                    deleteTree(candidate);
                    removed++;
                }
            }
        } catch (IOException e) {
            // An unreadable temp directory only means orphans are not cleaned this time.
        }
        return removed;
    }

    /** {@code <pid> <start instant>}: the pid alone could have been reused by another process since. */
    static String ownerStamp(ProcessHandle process) {
        return process.pid() + " " + process.info().startInstant().map(Instant::toString).orElse("?");
    }

    private static Optional<String> readOwner(Path dir) {
        try {
            return Optional.of(Files.readString(dir.resolve(OWNER_FILE), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean isAlive(String owner) {
        String[] parts = owner.split(" ", 2);
        try {
            Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(parts[0]));
            return process.isPresent() && process.get().isAlive() && ownerStamp(process.get()).equals(owner);
        } catch (NumberFormatException e) {
            return true; // not ours to judge
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A leftover temp directory is harmless; the next start removes it if it is an orphan.
        }
    }

    /** The command, run as {@code user} when given (runuser, or su where runuser is missing). */
    static List<String> asUser(String user, List<String> command) {
        if (user == null) {
            return command;
        }
        List<String> full = new ArrayList<>();
        if (onPath("runuser")) {
            full.addAll(List.of("runuser", "-u", user, "--"));
            full.addAll(command);
        } else {
            StringBuilder line = new StringBuilder("exec");
            for (String part : command) {
                line.append(" '").append(part.replace("'", "'\\''")).append("'");
            }
            full.addAll(List.of("su", "-s", "/bin/sh", user, "-c", line.toString()));
        }
        return full;
    }

    /**
     * Runs a command to completion within {@code timeoutSeconds}, its output going to a file (a
     * pipe nobody reads, or a daemon keeping it open, could block us); on timeout the process and
     * its descendants are killed. Fails with the output when the exit code is not 0.
     */
    static void run(List<String> command, int timeoutSeconds) {
        Path output = null;
        try {
            output = Files.createTempFile(PREFIX + "-cmd", ".log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                // Reaped before we go on: a killed child stays "alive" until its exit is collected.
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("timed out after " + timeoutSeconds + " s: " + command + "\n" + read(output));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("failed (" + p.exitValue() + "): " + command + "\n" + read(output));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        } finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** The user to run the binaries as: null unless the JVM runs as uid 0, whatever its user name. */
    static String runAsUser() {
        if (new com.sun.security.auth.module.UnixSystem().getUid() != 0) {
            return null;
        }
        String configured = System.getenv("PG_TEST_USER");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (String candidate : List.of("postgres", "nobody")) {
            try {
                run(List.of("id", "-u", candidate), 10);
                return candidate;
            } catch (IllegalStateException noSuchUser) {
                // try the next
            }
        }
        throw new IllegalStateException("running as root, and neither user 'postgres' nor 'nobody' exists to run PostgreSQL"
                + " (create one, or set PG_TEST_USER)");
    }

    /** java.io.tmpdir when {@code user} can reach and write it, else /tmp. */
    static Path baseDirectory(String user) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        if (user == null) {
            return tmp;
        }
        try {
            run(asUser(user, List.of("test", "-x", tmp.toString(), "-a", "-w", tmp.toString())), 10);
            return tmp;
        } catch (IllegalStateException notReachable) {
            return Path.of("/tmp");
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        for (String entry : (path == null ? "/usr/sbin:/usr/bin:/sbin:/bin" : path + ":/usr/sbin:/sbin").split(":")) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, program))) {
                return true;
            }
        }
        return false;
    }

    private static Path findBinaries() {
        String env = System.getenv("PG_BIN");
        if (env != null && Files.isExecutable(Path.of(env, "initdb"))) {
            return Path.of(env);
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                        .orElseThrow(() -> new IllegalStateException("no initdb under /usr/lib/postgresql/*/bin"));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("PostgreSQL server binaries not found: apt-get install -y postgresql, or set PG_BIN");
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on 127.0.0.1: " + e.getMessage(), e);
        }
    }
}
