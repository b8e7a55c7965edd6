package io.metaxy.flink.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.store.PostgresServer;
import io.metaxy.flink.stream.KafkaTestClient;
import io.metaxy.flink.stream.KafkaTestClient.Received;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cluster jar on a real Flink 2.2 standalone session cluster, as an operator runs it: a
 * JobManager ({@code StandaloneSessionClusterEntrypoint}) and TaskManagers ({@code TaskManagerRunner})
 * in their own JVMs, built from Flink's Maven Central artifacts (flink-dist is not published; the
 * entrypoints live in flink-runtime) and configured by {@code flink-conf/config.yaml}; a KRaft broker
 * in another JVM; the PostgreSQL store; the job submitted with Flink's own CLI
 * ({@code CliFrontend run -d target/metaxy-flink-cluster.jar run …}, {@code FLINK_CONF_DIR} set).
 * The client's graph file is deleted once {@code flink run} returns (the job carries the graph's text).
 * Killing the TaskManager with SIGKILL and starting another loses and duplicates nothing: the
 * read_committed increments are exactly the expected set and the store holds each row once.
 *
 * <p>The cluster's classpath is this test JVM's, without this project's classes and the libraries
 * only the job brings (Kafka, the Kafka connector, DuckDB, PostgreSQL, picocli): what the job needs
 * must come from its own jar. The test's additions to config.yaml are ports, addresses,
 * directories, smaller memory for a shared machine and faster heartbeats.
 */
@Tag("cluster")
class StandaloneClusterITCase {
    static final Path JAR = Path.of("target", "metaxy-flink-cluster.jar");
    static final Path GRAPH = Path.of("examples", "overview.yaml");
    static final String PREFIX = "cl.";
    static final String VIDEO = PREFIX + "example__video";
    static final String CROP_INCREMENTS = PREFIX + "example__crop.increments";
    static final String STT_INCREMENTS = PREFIX + "example__stt.increments";
    static final Duration WAIT = Duration.ofMinutes(3);
    static final ObjectMapper JSON = new ObjectMapper();

    static Path dir;
    static Path confDir;
    static String cpCluster;
    static int restPort;
    static JvmProcess broker;
    static JvmProcess jobManager;
    static final List<JvmProcess> taskManagers = new ArrayList<>();
    static String bootstrap;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startCluster() throws Exception {
        buildClusterJarIfAbsent();
        dir = Files.createTempDirectory("mxcluster");
        restPort = freePort();
        cpCluster = clusterClasspath();
        confDir = Files.createDirectories(dir.resolve("conf"));
        writeConfig();

        int kafkaPort = freePort();
        broker = JvmProcess.start("broker", dir, System.getProperty("java.class.path"), List.of("-Xmx384m"),
                KafkaBrokerMain.class.getName(), List.of(String.valueOf(kafkaPort), dir.resolve("kafka").toString()), Map.of());
        await("broker").atMost(WAIT).until(() -> broker.output().contains(KafkaBrokerMain.READY) || !broker.isAlive());
        assertThat(broker.isAlive()).as(broker.output()).isTrue();
        bootstrap = "127.0.0.1:" + kafkaPort;

        jobManager = flinkJvm("jobmanager", "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "GET_JM_RESOURCE_PARAMS");
        await("JobManager REST").atMost(WAIT).ignoreExceptions().until(() -> {
            assertThat(jobManager.isAlive()).as(jobManager.output()).isTrue();
            return rest("/overview").has("taskmanagers");
        });
        startTaskManager();
    }

    /** Set when the scenario passed: the directory (logs, broker, checkpoints) is kept only for a failure. */
    static volatile boolean passed;

    @AfterAll
    static void stopCluster() throws IOException {
        JvmProcess.killAll();
        if (passed && dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        } else if (dir != null) {
            System.err.println("StandaloneClusterITCase: logs of every process kept in " + dir);
        }
    }

    static void startTaskManager() throws Exception {
        JvmProcess tm = flinkJvm("taskmanager-" + (taskManagers.size() + 1), "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                "GET_TM_RESOURCE_PARAMS");
        taskManagers.add(tm);
        int expected = (int) taskManagers.stream().filter(JvmProcess::isAlive).count();
        await("TaskManager registered").atMost(WAIT).ignoreExceptions().until(() -> {
            assertThat(tm.isAlive()).as(tm.output()).isTrue();
            return rest("/overview").get("taskmanagers").asInt() == expected;
        });
    }

    /**
     * A JobManager or TaskManager JVM started as Flink's scripts start it: its JVM memory options and
     * the derived resource settings come from {@code BashJavaUtils} ({@code resourceCommand}) over the
     * configuration.
     */
    static JvmProcess flinkJvm(String name, String main, String resourceCommand) throws Exception {
        List<String> derived = bashJavaUtils(name, resourceCommand);
        List<String> opts = new ArrayList<>(JvmProcess.FLINK_JAVA17_OPTS);
        opts.addAll(Arrays.asList(derived.get(0).trim().split("\\s+")));
        opts.add("-Dlog.file=" + dir.resolve(name + ".log"));
        opts.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
        List<String> args = new ArrayList<>(List.of("--configDir", confDir.toString()));
        if (derived.size() > 1 && !derived.get(1).isBlank()) {
            args.addAll(Arrays.asList(derived.get(1).trim().split("\\s+")));
        }
        return JvmProcess.start(name, dir, cpCluster, opts, main, args, Map.of());
    }

    /** What flink-dist's config.sh does: the result lines of {@code BashJavaUtils COMMAND --configDir DIR}. */
    static List<String> bashJavaUtils(String name, String command) throws Exception {
        try (JvmProcess utils = JvmProcess.start(name + "-resources", dir, cpCluster, List.of("-Xmx128m"),
                "org.apache.flink.runtime.util.bash.BashJavaUtils", List.of(command, "--configDir", confDir.toString()), Map.of())) {
            assertThat(utils.process.waitFor(2, TimeUnit.MINUTES)).isTrue();
            String out = utils.output();
            assertThat(utils.process.exitValue()).as(out).isZero();
            List<String> results = out.lines().filter(l -> l.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:"))
                    .map(l -> l.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length())).toList();
            assertThat(results).as(out).isNotEmpty();
            return results;
        }
    }

    @Test
    void survivesATaskManagerKilledWithSigkillWithoutLosingOrRepeatingAnything() throws Exception {
        String storeUrl = PostgresServer.get().newDatabase();
        // The client's copy of the graph is gone once `flink run` returns: the job must carry it.
        Path clientGraph = Files.copy(GRAPH, Files.createDirectories(dir.resolve("client")).resolve("graph.yaml"));
        // As bin/flink runs it: Flink's JVM options, the configuration directory in FLINK_CONF_DIR.
        List<String> cliOpts = new ArrayList<>(JvmProcess.FLINK_JAVA17_OPTS);
        cliOpts.addAll(List.of("-Xmx256m", "-Dlog.file=" + dir.resolve("flink-run.log"),
                "-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri()));
        JvmProcess cli = JvmProcess.start("flink-run", dir, cpCluster, cliOpts,
                "org.apache.flink.client.cli.CliFrontend",
                List.of("run", "-d", JAR.toAbsolutePath().toString(),
                        "run", "--graph", clientGraph.toString(), "--bootstrap-servers", bootstrap,
                        "--store", storeUrl, "--parallelism", "2", "--partitions", "2",
                        "--state-dir", dir.resolve("state").toUri().toString()),
                Map.of("FLINK_CONF_DIR", confDir.toString()));
        assertThat(cli.process.waitFor(3, TimeUnit.MINUTES)).as("flink run returns").isTrue();
        String out = cli.output();
        assertThat(cli.process.exitValue()).as(out).isZero();
        assertThat(out).contains("Submitted to the Flink cluster: job ")
                .as("the cluster's metaxy.topic-prefix applies").contains(VIDEO);
        Files.delete(clientGraph);
        String jobId = out.replaceAll("(?s).*Submitted to the Flink cluster: job ([0-9a-f]{32}).*", "$1");
        awaitRunning(jobId);

        try (KafkaTestClient client = new KafkaTestClient(bootstrap, List.of(CROP_INCREMENTS, STT_INCREMENTS), 2)) {
            feed(client, 1, 20);
            awaitIncrements(client, 20);

            long before = completedCheckpoints(jobId);
            feed(client, 21, 40);
            taskManagers.get(0).kill();
            startTaskManager();
            awaitRunning(jobId);
            feed(client, 41, 60);
            awaitIncrements(client, 60);
            // One more completed checkpoint: whatever a replay could have written is committed by now.
            long now = completedCheckpoints(jobId);
            await("a checkpoint after the last increments").atMost(WAIT).until(() -> completedCheckpoints(jobId) >= now + 1);
            assertThat(completedCheckpoints(jobId)).isGreaterThan(before);
            assertExactlyOnce(client.on(CROP_INCREMENTS), 60);
            assertExactlyOnce(client.on(STT_INCREMENTS), 60);
            JsonNode job = rest("/jobs/" + jobId);
            assertThat(job.path("state").asText()).isEqualTo("RUNNING");
        }

        try (MetadataStore store = MetadataStores.open(storeUrl, GraphReader.read(GRAPH), AccessMode.READ)) {
            await("store rows").atMost(WAIT).until(() -> store.read("example/video").size() >= 60);
            List<MetadataRow> rows = store.read("example/video",
                    io.metaxy.flink.store.ReadOptions.defaults().history(true).includeDeleted(true));
            List<Object> ids = rows.stream().map(r -> r.ids().get("sample_uid")).map(Object::toString).collect(Collectors.toList());
            assertThat(ids).as("each video row once in the store").hasSize(60).doesNotHaveDuplicates();
        }
        passed = true;
    }

    static void feed(KafkaTestClient client, int from, int to) throws Exception {
        for (int id = from; id <= to; id++) {
            client.send(VIDEO, "{\"sample_uid\":" + id + "}", KafkaTestClient.row(Map.of("path", "v" + id + ".mp4",
                    "metaxy_provenance_by_field", Map.of("audio", "a1", "frames", "f1"))));
        }
    }

    static void awaitIncrements(KafkaTestClient client, int n) {
        await("increments").atMost(WAIT).until(() -> client.on(CROP_INCREMENTS, "new").size() >= n
                && client.on(STT_INCREMENTS, "new").size() >= n);
    }

    static void assertExactlyOnce(List<Received> increments, int n) {
        Set<String> expected = IntStream.rangeClosed(1, n).mapToObj(i -> "{\"sample_uid\":" + i + "}").collect(Collectors.toSet());
        List<String> keys = increments.stream().map(Received::key).toList();
        assertThat(keys).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
        assertThat(increments).allMatch(r -> r.json().path("kind").asText().equals("new"));
    }

    static void awaitRunning(String jobId) {
        await("job " + jobId + " running").atMost(WAIT).ignoreExceptions().until(() -> {
            JsonNode job = rest("/jobs/" + jobId);
            if (!job.path("state").asText().equals("RUNNING")) {
                return false;
            }
            for (JsonNode v : job.get("vertices")) {
                if (!v.path("status").asText().equals("RUNNING")) {
                    return false;
                }
            }
            return true;
        });
    }

    static long completedCheckpoints(String jobId) throws Exception {
        return rest("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
    }

    static JsonNode rest(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** flink-conf/config.yaml, flattened, with the test machine's additions. */
    static void writeConfig() throws IOException {
        JsonNode tree = new YAMLMapper().readTree(Path.of("flink-conf", "config.yaml").toFile());
        Map<String, String> flat = new TreeMap<>();
        flatten("", tree, flat);
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("jobmanager.rpc.address", "127.0.0.1");
        overrides.put("jobmanager.rpc.port", String.valueOf(freePort()));
        overrides.put("jobmanager.bind-host", "127.0.0.1");
        overrides.put("taskmanager.host", "127.0.0.1");
        overrides.put("taskmanager.bind-host", "127.0.0.1");
        overrides.put("rest.address", "127.0.0.1");
        overrides.put("rest.bind-address", "127.0.0.1");
        overrides.put("rest.port", String.valueOf(restPort));
        overrides.put("jobmanager.memory.process.size", "768m");
        overrides.put("taskmanager.memory.process.size", "1024m");
        overrides.put("taskmanager.memory.managed.size", "128m");
        overrides.put("heartbeat.interval", "1s");
        overrides.put("heartbeat.timeout", "8s");
        overrides.put("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        overrides.put("execution.checkpointing.savepoint-dir", dir.resolve("savepoints").toUri().toString());
        overrides.put("io.tmp.dirs", Files.createDirectories(dir.resolve("tmp")).toString());
        overrides.put("metaxy.topic-prefix", PREFIX);
        for (String key : overrides.keySet()) {
            if (key.startsWith("metaxy.") || key.contains("memory") || key.startsWith("execution.")) {
                assertThat(flat).as("the test overrides only what config.yaml has").containsKey(key.equals("taskmanager.memory.managed.size")
                        ? "taskmanager.memory.process.size" : key);
            }
        }
        flat.putAll(overrides);
        StringBuilder yaml = new StringBuilder();
        for (Map.Entry<String, String> e : flat.entrySet()) {
            yaml.append(e.getKey()).append(": ").append(JSON.writeValueAsString(e.getValue())).append('\n');
        }
        Files.writeString(confDir.resolve("config.yaml"), yaml);
        Files.writeString(confDir.resolve("log4j.properties"), """
                rootLogger.level = INFO
                rootLogger.appenderRef.file.ref = file
                appender.file.type = File
                appender.file.name = file
                appender.file.fileName = ${sys:log.file}
                appender.file.layout.type = PatternLayout
                appender.file.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1} - %m%n
                """);
    }

    static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else {
            out.put(prefix, node.asText());
        }
    }

    /** The test JVM's classpath minus this project and what only the job brings. */
    static String clusterClasspath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> {
                    String name = Path.of(entry).getFileName().toString();
                    return !entry.contains("target" + File.separator + "classes")
                            && !entry.contains("target" + File.separator + "test-classes")
                            && !name.startsWith("kafka") && !name.startsWith("flink-connector-kafka") && !name.startsWith("flink-connector-base")
                            && !name.startsWith("duckdb") && !name.startsWith("postgresql") && !name.startsWith("picocli");
                })
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** `mvn package -Pcluster` when the jar is missing or older than the compiled classes (offline: this build resolved it all). */
    static void buildClusterJarIfAbsent() throws Exception {
        Path classes = Path.of("target", "classes", "io", "metaxy", "flink", "cli", "RunCommand.class");
        if (Files.exists(JAR) && Files.getLastModifiedTime(JAR).compareTo(Files.getLastModifiedTime(classes)) > 0) {
            return;
        }
        // Packages the classes this run compiled: no recompilation under the running tests.
        Process mvn = new ProcessBuilder("mvn", "-q", "-o", "package", "-Pcluster", "-Dmaven.main.skip=true", "-Dmaven.test.skip=true")
                .redirectErrorStream(true).redirectOutput(Path.of("target", "cluster-jar-build.log").toFile()).start();
        assertThat(mvn.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(mvn.exitValue()).as(Files.readString(Path.of("target", "cluster-jar-build.log"))).isZero();
    }

    @Test
    void theClusterJarLeavesOutWhatTheClusterHas() throws Exception {
        try (ZipFile jar = new ZipFile(JAR.toFile())) {
            List<String> names = jar.stream().map(java.util.zip.ZipEntry::getName).toList();
            assertThat(names).contains("io/metaxy/flink/cli/MetaxyCommand.class",
                    "org/apache/flink/connector/kafka/source/KafkaSource.class",
                    "org/apache/kafka/clients/consumer/KafkaConsumer.class");
            assertThat(names).filteredOn(n -> n.startsWith("org/apache/flink/runtime/") || n.startsWith("org/apache/flink/streaming/api/")
                    || n.startsWith("kafka/server/") || n.startsWith("org/apache/kafka/raft/")
                    || n.startsWith("org/apache/logging/") || n.startsWith("org/slf4j/") || n.equals("log4j2.properties")).isEmpty();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
