package io.metaxy.flink.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.Increment;
import io.metaxy.flink.store.LazyIncrement;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.store.ResolveOptions;
import io.metaxy.flink.versioning.DefinitionVersions;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.table.api.TableResult;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The issue-8 benchmark harness (run by {@code bench/run}, never by {@code mvn test}).
 *
 * <p>The product job runs as a user runs it: {@code java -jar target/metaxy-flink.jar run --graph …
 * --embedded-kafka} in its own process. This JVM is the black-box producer (kafka-clients) and the
 * {@code read_committed} consumer that stops the clock when every expected increment is readable,
 * and it runs the same-run baselines on a MiniCluster against the job's broker while the job idles:
 * the exactly-once pass-through ceiling and the Flink SQL formulation ({@link BaselineJobs}). After
 * the job stops, the batch {@code resolveUpdate} runs over the DuckDB store the job wrote.
 *
 * <pre>
 * bench/run --quick            # 100k samples
 * bench/run --size 1m          # 1M (recovery at 1M)
 * bench/run --size 10m         # 10M (recovery.10m_s)
 * </pre>
 */
public final class Issue8Bench {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String JOB_GROUP = "metaxy-metaxy_";

    final Path repo = Path.of("").toAbsolutePath();
    final Path jar = repo.resolve("target/metaxy-flink.jar");
    final Path work;
    final int n;
    final Path out;
    final boolean skipSql;
    final ArrayNode results = JSON.createArrayNode();
    final List<String> notes = new ArrayList<>();
    /** all, simple or wide (for diagnosing one graph). */
    String only = "all";
    /** Job runs left out ({@code --skip nostore,alo,pg}): at 10M each takes many minutes. */
    java.util.Set<String> skip = java.util.Set.of();
    /** Appended to every product job's command line ({@code --job-arg --flink-property --job-arg k=v}). */
    List<String> jobArgs = List.of();

    Issue8Bench(int n, Path out, boolean skipSql) throws IOException {
        this.n = n;
        this.out = out;
        this.skipSql = skipSql;
        this.work = Files.createTempDirectory("mxbench");
        BaselineJobs.checkpointBase = work;
    }

    public static void main(String[] args) throws Exception {
        int n = 1_000_000;
        Path out = Path.of("bench/results.json");
        boolean skipSql = false;
        String only = "all";
        java.util.Set<String> skip = java.util.Set.of();
        List<String> jobArgs = new ArrayList<>();
        double warmUpS = Double.NaN;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> n = 100_000;
                case "--size" -> n = parseSize(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--skip-sql" -> skipSql = true;
                case "--only" -> only = args[++i];
                case "--skip" -> skip = java.util.Set.of(args[++i].split(","));
                case "--job-arg" -> jobArgs.add(args[++i]);
                case "--warm-up-s" -> warmUpS = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Issue8Bench bench = new Issue8Bench(n, out, skipSql);
        bench.only = only;
        bench.skip = skip;
        bench.jobArgs = jobArgs;
        bench.warmUpBudgetS = warmUpS;
        long t0 = System.nanoTime();
        try {
            bench.runAll();
        } finally {
            bench.write();
            log("done in %.0f s; results in %s", (System.nanoTime() - t0) / 1e9, out);
            if (System.getProperty("mxbench.keep-work") == null) {
                deleteTree(bench.work);
            } else {
                log("kept the work directory (job logs, data dirs): %s", bench.work);
            }
        }
        System.exit(0);
    }

    static int parseSize(String s) {
        s = s.toLowerCase();
        if (s.endsWith("m")) {
            return (int) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1_000_000);
        }
        if (s.endsWith("k")) {
            return (int) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1_000);
        }
        return Integer.parseInt(s);
    }

    // ---------------------------------------------------------------- orchestration

    void runAll() throws Exception {
        FeatureGraph simple = GraphReader.read(repo.resolve("bench/graphs/simple.yaml"));
        ProvenanceCalculator leafCalc = ProvenanceCalculator.of(simple, FeatureKey.of("bench/leaf"), SampleHasher.DEFAULT);
        // The SQL UDF's formula must give the product's provenance, or the counts would not line up.
        String expected = leafCalc.provenanceByField(Map.of(FeatureKey.of("bench/video"), Map.of("audio", "a1", "frames", "f1")))
                .get("embedding");
        String udf = new Xxh32().eval("embedding|1|bench/video.audio|a1|bench/video.frames|f1");
        if (!expected.equals(udf)) {
            throw new IllegalStateException("SQL baseline formula " + udf + " != product " + expected);
        }
        LongFunction<String> answer = i -> leafCalc.provenanceByField(Map.of(FeatureKey.of("bench/video"),
                Map.of("audio", "a" + i, "frames", "f" + i))).get("embedding");
        staleAnswer = i -> leafCalc.provenanceByField(Map.of(FeatureKey.of("bench/video"),
                Map.of("audio", "a" + i + "s", "frames", "f" + i))).get("embedding");

        if (only.equals("alo")) {
            // The at-least-once job alone, to compare its settings quickly: the offered load comes
            // from -Dmxbench.freshness-rate (the exactly-once job that would measure it is not run).
            offeredRate = Double.parseDouble(System.getProperty("mxbench.freshness-rate", "10000"));
            runAtLeastOnce(answer);
            return;
        }
        if (!only.equals("wide")) {
            runSimple(simple, answer);
        }
        if (!only.equals("simple")) {
            runWide();
        }
    }

    double storeStaleRate = Double.NaN;
    /** The batch resolve of the exactly-once job's store: the baseline of every surface figure. */
    double batchResolveSeconds = Double.NaN;

    /** The worker's answer for a sample after the stale phase changed its audio ({@code a<i>s}). */
    LongFunction<String> staleAnswer;

    void runSimple(FeatureGraph simple, LongFunction<String> answer) throws Exception {
        // --- simple graph, default store (DuckDB) on
        Job job = Job.start(this, "simple", "simple-store", List.of());
        double storeNew;
        double[] sqlSimple = {Double.NaN, Double.NaN, Double.NaN};
        double ceiling = Double.NaN;
        double surface;
        try (Kafka k = new Kafka(job.servers())) {
            String video = "metaxy.bench__video";
            String leafTopic = "metaxy.bench__leaf";
            String inc = "metaxy.bench__leaf.increments";
            warmUp(k, "stream.simple (store on)", job.pid(), video, inc, leafTopic, answer, false);
            int storeWarmed = warmed;
            storeNew = phase(k, "stream.simple.new (store on)", inc, n, () -> k.produceSimple(video, 0, n, false, 0), job.pid());
            double storeCpu = lastCpuPerRecordUs;
            storeMachineCpu = lastMachineCpuPerRecordUs;
            answers(k, leafTopic, n, answer);
            waitConsumed(job, leafTopic, n + storeWarmed, Duration.ofSeconds(120 + n / 200));
            Counter staleCounter = new Counter(k.servers, inc, false);
            double bulk = phase(k, "stream.simple.stale (store on)", staleCounter, n / 10,
                    () -> k.produceSimple(video, 0, n, true, 0), job.pid());
            double storeStale = (n / 10) / bulk;
            storeStaleRate = storeStale;
            log("stale increments: %s", staleCounter.kinds());
            add("stream.simple.stale.bulk_s", bulk, "s", n / 10, null, null,
                    "the 10% change sent as fast as the producer can: first changed row sent to the last stale increment readable");
            // The change answered, so the paced change below is the only outstanding one.
            answersStale(k, leafTopic, 0, n);
            waitConsumed(job, leafTopic, n + storeWarmed + n / 10, Duration.ofSeconds(120 + n / 200));
            // A change costs more per record than a new sample once the state outgrows the cache
            // (at 10M the bulk change ran at 27k/s against 51k/s new), and so does a new sample
            // arriving at that state: at half the new rate the paced change measured a backlog and
            // the freshness phase drifted (first tenth 713 ms, last 1,137 ms). Both run at half of
            // the slower of the two measured rates, the load this job sustains at this size.
            // -Dmxbench.freshness-rate=R pins the offered load, to compare settings at the same load.
            double rate = Double.parseDouble(System.getProperty("mxbench.freshness-rate",
                    String.valueOf(Math.max(100, Math.min(storeNew, storeStale) * 0.5))));
            offeredRate = rate;
            double[] paced = stalePaced(k, video, inc, rate);
            surface = paced[0];
            add("stream.simple.new.events_per_s.store", storeNew, "events/s", n, null, null,
                    "DuckDB store on (default), after an untimed warm-up of " + storeWarmed + " samples");
            add("stream.simple.new.cpu_us_per_event.store", storeCpu, "us", n, null, null,
                    "CPU of the job process (its embedded broker included) per sample of the new phase, store on");
            add("stream.simple.stale.events_per_s.store", storeStale, "events/s", n / 10, null, null,
                    "10% of samples with a changed audio provenance, store on");

            // --- baselines against the same broker while the product job idles
            ceiling = ceiling(k);
            if (!skipSql) {
                sqlSimple = sqlSimple(k, answer);
            }
            // --- freshness at half the load the job sustains at this size (above)
            double[] lat = latency(k, video, inc, rate, n <= 100_000 ? 15 : 30);
            add("latency.p50_ms", lat[0], "ms", (long) lat[2], null, null,
                    String.format("exactly-once, store on, simple graph, offered load %.0f samples/s (half the slower of the store-on new and bulk stale rates), 1 s checkpoints", rate));
            add("latency.p99_ms", lat[1], "ms", (long) lat[2], "target: checkpoint interval + 100 ms", 1100.0,
                    String.format("exactly-once, store on, offered load %.0f samples/s; %s; %s", rate, latencyDrift,
                            checkpointHistory(job)));
            // --- state and checkpoints
            // Every sample sent so far has its state: the warm-up ones too.
            checkpoints(job, n + storeWarmed + (long) lat[2], 1);
            // --- recovery from the latest checkpoint
            double rec = recovery(job, k, video, inc);
            double restartToRunning = job.startSeconds.get(job.startSeconds.size() - 1);
            double[] restore = restoreSeconds(job);
            add("recovery." + sizeName() + ".restore_s", restore[0], "s", n, "target: 10 s", 10.0,
                    String.format("the restored job's state restore: the longest INITIALIZING -> RUNNING of a subtask of the keyed "
                            + "operators (REST subtasktimes; RocksDB from the latest incremental checkpoint); broker start and "
                            + "recovery before it %.1f s", restore[1]));
            add("recovery." + sizeName() + "_s", rec, "s", n, "job.fresh_start_s", job.startSeconds.get(0),
                    String.format("kill -9 of the job process, restart of run with the same data dir, until a new root row's increment "
                            + "is readable (includes JVM and broker start: %.1f s until the restored job's tasks ran, %.1f s more until "
                            + "the probe's increment was committed); baseline: the fresh start of the same job in this run",
                            restartToRunning, rec - restartToRunning));
        } finally {
            job.stop();
        }
        if (n < 10_000_000) {
            add("recovery.10m_s", null, "s", 10_000_000, null, null, "not run at this size: bench/run --size 10m");
        }
        if (n < 1_000_000) {
            add("recovery.1m_s", null, "s", 1_000_000, null, null, "not run at this size: bench/run --size 1m");
        }
        Path duckdb = job.dataDir.resolve("metaxy.duckdb");
        double[] resolveNew = batchResolve(duckdb, simple, "new");
        double resolve = resolveNew[0];
        batchResolveSeconds = resolve;
        add("batch.duckdb.simple.resolve_s", resolve, "s", n, null, null,
                "store.resolveUpdate(bench/leaf) over the DuckDB file the job wrote (after the stale phase and the latency samples), "
                        + "after the job stopped; no leaf row is recorded, so every sample is new and leaves the database (best of 3)");
        double[] resolveStale = batchStale(duckdb, simple);
        add("batch.duckdb.simple.new.samples_per_s", resolveStale[1] / resolve, "samples/s", (long) resolveStale[1], "target", 1e6,
                String.format("the batch resolve above: samples in the store (the leaf's every sample, counted by the stale phase) "
                        + "per second; %.0f of them left the database as increments", resolveNew[1]));
        add("batch.duckdb.simple.stale.resolve_s", resolveStale[0], "s", (long) resolveStale[1], null, null,
                "the same store after every sample's leaf row was recorded (in SQL, from the lazy increment) and 10% of the "
                        + "root samples got a changed audio version: store.resolveUpdate(bench/leaf) hashes and compares every "
                        + "sample inside DuckDB and only the stale tenth leaves it (best of 3)");
        add("batch.duckdb.simple.stale.samples_per_s", resolveStale[1] / resolveStale[0], "samples/s", (long) resolveStale[1],
                "target", 1e6, "the stale phase of the batch resolve: samples compared per second");
        add("stream.simple.stale.surface_s", surface, "s", n / 10, "batch.duckdb.simple.resolve_s", resolve,
                String.format("freshness of a 10%% change (another tenth of the samples, a second audio change) sent at %.0f "
                        + "samples/s (half the slower of the new and the bulk stale rates): time from the last changed row sent to the last stale increment "
                        + "readable (store on, exactly-once); baseline: one full batch resolve of the same store, which can "
                        + "only start once the change is written", offeredRate));

        // --- simple graph, --no-store
        double kafkaNew = Double.NaN;
        double kafkaStale = Double.NaN;
        if (!skip.contains("nostore")) {
            double[] kafka = runNoStore(answer);
            kafkaNew = kafka[0];
            kafkaStale = kafka[1];
        }
        if (!skip.contains("alo")) {
            runAtLeastOnce(answer);
        }
        if (!skip.contains("pg")) {
            runPostgres(answer, sqlSimple[0]);
        }
        String nostoreNote = Double.isNaN(kafkaNew) ? "" : String.format("; --no-store: %.0f/s", kafkaNew);
        add("stream.simple.new.events_per_s", storeNew, "events/s", n, "sql.simple.new.events_per_s", nan(sqlSimple[0]),
                String.format("store on%s; ratio to the pass-through ceiling %.2f", nostoreNote, storeNew / ceiling));
        if (!Double.isNaN(kafkaNew)) {
            add("stream.simple.new.events_per_s.nostore", kafkaNew, "events/s", n, "sql.simple.new.events_per_s", nan(sqlSimple[0]),
                    String.format("--no-store; ratio to the pass-through ceiling %.2f", kafkaNew / ceiling));
        }
        add("stream.simple.stale.events_per_s", storeStaleRate, "events/s", n / 10, "sql.simple.stale.events_per_s",
                nan(sqlSimple[1]), Double.isNaN(kafkaStale) ? "store on" : String.format("store on; --no-store: %.0f/s", kafkaStale));
        add("ceiling.passthrough.events_per_s", ceiling, "events/s", ceilingCount(), null, null,
                "stateless exactly-once Flink job (MiniCluster in the harness JVM, parallelism 2) copying each root record to an output topic, 2 partitions, checkpoint every 2 s, same broker");
        add("cpu.machine_us_per_event.ceiling", ceilingMachineCpu, "us", ceilingCount(), null, null,
                MACHINE_CPU_NOTE + ", the pass-through ceiling (the product job idle beside it)");
        add("cpu.machine_us_per_event.stream.simple.new.store", storeMachineCpu, "us", n, "cpu.machine_us_per_event.ceiling",
                nan(ceilingMachineCpu), String.format("%s, store on; the machine is CPU-bound, so 0.7 of the ceiling's rate needs "
                        + "at most %.1f us (the ceiling's / 0.7) and 2.5x the SQL baseline's at most %.1f us (the SQL job's / 2.5)",
                        MACHINE_CPU_NOTE, ceilingMachineCpu / 0.7, sqlMachineCpu / 2.5));
        if (!skipSql) {
            add("cpu.machine_us_per_event.sql.simple.new", sqlMachineCpu, "us", n, "cpu.machine_us_per_event.ceiling",
                    nan(ceilingMachineCpu), MACHINE_CPU_NOTE + ", the Flink SQL baseline (the product job idle beside it)");
        }

        if (!skipSql) {
            add("sql.simple.new.events_per_s", sqlSimple[0], "events/s", n, "ceiling.passthrough.events_per_s", ceiling, null);
            add("sql.simple.stale.events_per_s", sqlSimple[1], "events/s", n / 10, null, null, null);
            add("sql.simple.stale.surface_s", sqlSimple[2], "s", n / 10, "batch.duckdb.simple.resolve_s", resolve,
                    "the Flink SQL baseline's time to surface the 10% change sent in bulk (compare stream.simple.stale.bulk_s)");
        }
    }

    /** The simple graph with {@code --no-store}: {new events/s, stale events/s}. */
    double[] runNoStore(LongFunction<String> answer) throws Exception {
        Job nostore = Job.start(this, "simple", "simple-nostore", List.of("--no-store"));
        double kafkaNew;
        double kafkaStale;
        try (Kafka k = new Kafka(nostore.servers())) {
            warmUp(k, "stream.simple (--no-store)", nostore.pid(), "metaxy.bench__video", "metaxy.bench__leaf.increments", "metaxy.bench__leaf", answer, false);
            kafkaNew = phase(k, "stream.simple.new (--no-store)", "metaxy.bench__leaf.increments", n,
                    () -> k.produceSimple("metaxy.bench__video", 0, n, false, 0), nostore.pid());
            add("stream.simple.new.cpu_us_per_event.nostore", lastCpuPerRecordUs, "us", n, null, null,
                    "CPU of the job process (its embedded broker included) per sample of the new phase, --no-store");
            add("cpu.machine_us_per_event.stream.simple.new.nostore", lastMachineCpuPerRecordUs, "us", n,
                    "cpu.machine_us_per_event.ceiling", nan(ceilingMachineCpu), MACHINE_CPU_NOTE + ", --no-store");
            answers(k, "metaxy.bench__leaf", n, answer);
            waitConsumed(nostore, "metaxy.bench__leaf", n + warmed, Duration.ofSeconds(120 + n / 200));
            kafkaStale = phase(k, "stream.simple.stale (--no-store)", "metaxy.bench__leaf.increments", n / 10,
                    () -> k.produceSimple("metaxy.bench__video", 0, n, true, 0), nostore.pid());
        } finally {
            nostore.stop();
        }
        return new double[] {kafkaNew, kafkaStale};
    }

    static final String MACHINE_CPU_NOTE = "CPU of the whole machine (/proc/stat: every process, the broker and this "
            + "harness's producer and consumer included) per sample of the new phase";
    /** Machine CPU per record ({@link #lastMachineCpuPerRecordUs}) of the store-on new phase, the ceiling, the SQL baseline. */
    double storeMachineCpu = Double.NaN;
    double ceilingMachineCpu = Double.NaN;
    double sqlMachineCpu = Double.NaN;

    /**
     * The offered load of the freshness phases and the paced 10% change, exactly-once and
     * at-least-once alike: half the slower of the exactly-once store-on new and bulk stale rates.
     */
    double offeredRate = 100;

    /** The simple graph with {@code --delivery at-least-once}, store on: throughput, then freshness at the same offered load. */
    void runAtLeastOnce(LongFunction<String> answer) throws Exception {
        Job job = Job.start(this, "simple", "simple-alo", List.of("--delivery", "at-least-once"));
        String video = "metaxy.bench__video";
        String inc = "metaxy.bench__leaf.increments";
        double rate;
        double[] lat;
        try (Kafka k = new Kafka(job.servers())) {
            warmUp(k, "stream.simple (at-least-once)", job.pid(), video, inc, "metaxy.bench__leaf", answer, false);
            rate = phase(k, "stream.simple.new (at-least-once, store on)", inc, n, () -> k.produceSimple(video, 0, n, false, 0), job.pid());
            // Increments lead the store here: let the sink finish the new phase's rows (the source
            // commits its offsets once a checkpoint covers them everywhere), or the freshness
            // phase would start behind a backlog.
            waitConsumed(job, video, n + warmed, Duration.ofSeconds(120 + n / 200));
            lat = latency(k, video, inc, offeredRate, n <= 100_000 ? 15 : 30);
            // The 10% change at the same pace as the exactly-once job's, once every sample is answered.
            answers(k, "metaxy.bench__leaf", n, answer);
            waitConsumed(job, "metaxy.bench__leaf", n + warmed, Duration.ofSeconds(120 + n / 200));
            double[] paced = stalePaced(k, video, inc, offeredRate, "at_least_once.");
            add("stream.simple.stale.surface_s.at_least_once", paced[0], "s", n / 10, "batch.duckdb.simple.resolve_s", batchResolveSeconds,
                    String.format("as stream.simple.stale.surface_s with --delivery at-least-once: the last changed row sent at %.0f "
                            + "samples/s to its stale increment readable; baseline: the batch resolve measured after the exactly-once job",
                            offeredRate));
        } finally {
            job.stop();
        }
        add("stream.simple.new.events_per_s.at_least_once", rate, "events/s", n, "stream.simple.new.events_per_s.store", null,
                "--delivery at-least-once, DuckDB store on, after the warm-up");
        add("latency.at_least_once.p50_ms", lat[0], "ms", (long) lat[2], null, null,
                String.format("at-least-once, store on, offered load %.0f samples/s (as the exactly-once freshness phase)", offeredRate));
        add("latency.at_least_once.p99_ms", lat[1], "ms", (long) lat[2], "target: 50 ms", 50.0,
                String.format("at-least-once, store on, offered load %.0f samples/s; %s", offeredRate, latencyDrift));
    }

    /** The simple graph's new phase with the PostgreSQL store (a real server started by the harness, as the tests do). */
    void runPostgres(LongFunction<String> answer, double sqlNew) throws Exception {
        String url;
        try {
            url = io.metaxy.flink.store.PostgresServer.get().newDatabase();
        } catch (RuntimeException e) {
            log("PostgreSQL not available: %s", e.getMessage());
            add("stream.simple.new.postgres.events_per_s", null, "events/s", n, null, null, "not run: " + e.getMessage());
            return;
        }
        Job job = Job.start(this, "simple", "simple-pg", List.of("--store", url));
        double rate;
        try (Kafka k = new Kafka(job.servers())) {
            String inc = "metaxy.bench__leaf.increments";
            warmUp(k, "stream.simple (PostgreSQL)", job.pid(), "metaxy.bench__video", inc, "metaxy.bench__leaf", answer, false);
            rate = phase(k, "stream.simple.new (PostgreSQL store)", inc, n,
                    () -> k.produceSimple("metaxy.bench__video", 0, n, false, 0), job.pid());
        } finally {
            job.stop();
        }
        add("stream.simple.new.postgres.events_per_s", rate, "events/s", n, "sql.simple.new.events_per_s", nan(sqlNew),
                "PostgreSQL store (COPY, one transaction per checkpoint), exactly-once, after the warm-up");
    }

    void runWide() throws Exception {
        FeatureGraph graph = GraphReader.read(repo.resolve("bench/graphs/wide.yaml"));
        ProvenanceCalculator calc = ProvenanceCalculator.of(graph, FeatureKey.of("bench/wide"), SampleHasher.DEFAULT);
        // The worker's answer for sample i: the expected provenance of both leaf fields.
        LongFunction<String> answer = i -> {
            Map<String, String> byField = calc.provenanceByField(Map.of(
                    FeatureKey.of("bench/left"), Map.of("f1", "l1_" + i, "f2", "l2_" + i, "f3", "l3_" + i, "f4", "l4_" + i),
                    FeatureKey.of("bench/right"), Map.of("g1", "r1_" + i, "g2", "r2_" + i, "g3", "r3_" + i, "g4", "r4_" + i)));
            return "{\"metaxy_provenance_by_field\":{\"a\":\"" + byField.get("a") + "\",\"b\":\"" + byField.get("b") + "\"}}";
        };
        // --- wide graph, store on: new, the answers, then 10% of the left root changed
        Job wide = Job.start(this, "wide", "wide-store", List.of());
        double wideNew;
        double wideStale;
        double[] sqlWide = {Double.NaN, Double.NaN};
        try (Kafka k = new Kafka(wide.servers())) {
            wideNew = phase(k, "stream.wide.new (store on)", "metaxy.bench__wide.increments", n,
                    () -> k.produceWide("metaxy.bench__left", "metaxy.bench__right", n), wide.pid());
            answersWide(k, "metaxy.bench__wide", n, answer);
            waitConsumed(wide, "metaxy.bench__wide", n, Duration.ofSeconds(120 + n / 200));
            Counter staleCounter = new Counter(k.servers, "metaxy.bench__wide.increments", false);
            wideStale = (n / 10) / phase(k, "stream.wide.stale (store on)", staleCounter, n / 10,
                    () -> k.produceWideStale("metaxy.bench__left", n), wide.pid());
            log("wide stale increments: %s", staleCounter.kinds());
            if (!skipSql) {
                String p = "bench.sql.wide.";
                for (String t : List.of("left", "right", "leaf", "out")) {
                    k.createTopic(p + t, PARTITIONS);
                }
                TableResult sql = BaselineJobs.sql(k.servers, p, true, 1000);
                try {
                    waitRunning(sql.getJobClient().orElseThrow());
                    sqlWide[0] = phase(k, "sql.wide.new", p + "out", n, () -> k.produceWide(p + "left", p + "right", n));
                    Counter tomb = new Counter(k.servers, p + "out", false);
                    answersWide(k, p + "leaf", n, answer);
                    tomb.awaitTombstones(n, Duration.ofSeconds(120 + n / 200));
                    tomb.close();
                    sqlWide[1] = (n / 10) / phase(k, "sql.wide.stale", new Counter(k.servers, p + "out", false), n / 10,
                            () -> k.produceWideStale(p + "left", n));
                } finally {
                    sql.getJobClient().orElseThrow().cancel().get(60, TimeUnit.SECONDS);
                }
            }
        } finally {
            wide.stop();
        }
        Job wideNoStore = Job.start(this, "wide", "wide-nostore", List.of("--no-store"));
        double wideKafka;
        try (Kafka k = new Kafka(wideNoStore.servers())) {
            wideKafka = phase(k, "stream.wide.new (--no-store)", "metaxy.bench__wide.increments", n,
                    () -> k.produceWide("metaxy.bench__left", "metaxy.bench__right", n), wideNoStore.pid());
        } finally {
            wideNoStore.stop();
        }
        add("stream.wide.new.events_per_s", wideNew, "samples/s", n, "sql.wide.new.events_per_s", nan(sqlWide[0]),
                String.format("store on; --no-store: %.0f samples/s; a sample = one row on each of the two roots (2 root events)", wideKafka));
        add("stream.wide.new.events_per_s.nostore", wideKafka, "samples/s", n, "sql.wide.new.events_per_s", nan(sqlWide[0]), "--no-store");
        add("stream.wide.stale.events_per_s", wideStale, "events/s", n / 10, "sql.wide.stale.events_per_s", nan(sqlWide[1]),
                "store on; every tenth sample's left root with a changed f1 (both leaf fields read it), sent in bulk");
        if (!skipSql) {
            add("sql.wide.new.events_per_s", sqlWide[0], "samples/s", n, null, null, null);
            add("sql.wide.stale.events_per_s", sqlWide[1], "events/s", n / 10, null, null, null);
        }
    }

    /** The wide leaf's answers (before any change) for samples 0..count-1. */
    void answersWide(Kafka k, String topic, int count, LongFunction<String> answer) throws Exception {
        long t = System.nanoTime();
        k.produce(topic, count, i -> "{\"sample_uid\":" + i + "}", answer, 0, i -> i);
        log("answers: %d wide leaf rows to %s in %.1f s", count, topic, (System.nanoTime() - t) / 1e9);
    }

    static Double nan(double d) {
        return Double.isNaN(d) ? null : d;
    }

    String sizeName() {
        return n >= 1_000_000 ? (n / 1_000_000) + "m" : (n / 1_000) + "k";
    }

    /**
     * Rows the ceiling copies: N, and at least a million. A read_committed consumer sees the last
     * rows only at the checkpoint after them (every 2 s), so a short phase measures that wait: at
     * 100k the ceiling came out at 28.7k/s with the machine 55% busy, against 159k/s at 1M the
     * same hour, and every ratio to it in a --quick run was inflated ~5x.
     */
    int ceilingCount() {
        return Math.max(n, 1_000_000);
    }

    /** The pass-through ceiling: {@link #ceilingCount} rows to a 2-partition topic, copied exactly-once. */
    double ceiling(Kafka k) throws Exception {
        k.createTopic("bench.ceiling.in", 2);
        k.createTopic("bench.ceiling.out", 2);
        JobClient job = BaselineJobs.passThrough(k.servers, "bench.ceiling.in", "bench.ceiling.out", 2000);
        try {
            waitRunning(job);
            warmUp(k, "ceiling", ProcessHandle.current().pid(), "bench.ceiling.in", "bench.ceiling.out", null, null, false);
            int rows = ceilingCount();
            double rate = phase(k, "ceiling.passthrough", "bench.ceiling.out", rows,
                    () -> k.produceSimple("bench.ceiling.in", 0, rows, false, 0));
            ceilingMachineCpu = lastMachineCpuPerRecordUs;
            return rate;
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** The SQL baseline on the simple graph: {new events/s, stale events/s, stale surface s}. */
    double[] sqlSimple(Kafka k, LongFunction<String> answer) throws Exception {
        String p = "bench.sql.simple.";
        for (String t : List.of("video", "leaf", "out")) {
            k.createTopic(p + t, PARTITIONS);
        }
        TableResult sql = BaselineJobs.sql(k.servers, p, false, 1000);
        try {
            waitRunning(sql.getJobClient().orElseThrow());
            warmUp(k, "sql", ProcessHandle.current().pid(), p + "video", p + "out", p + "leaf", answer, true);
            double newRate = phase(k, "sql.simple.new", p + "out", n, () -> k.produceSimple(p + "video", 0, n, false, 0));
            sqlMachineCpu = lastMachineCpuPerRecordUs;
            Counter tomb = new Counter(k.servers, p + "out", false);
            answers(k, p + "leaf", n, answer);
            tomb.awaitTombstones(n, Duration.ofSeconds(120 + n / 200));
            tomb.close();
            double staleRate = phase(k, "sql.simple.stale", p + "out", n / 10, () -> k.produceSimple(p + "video", 0, n, true, 0));
            return new double[] {newRate, staleRate, (n / 10) / staleRate};
        } finally {
            sql.getJobClient().orElseThrow().cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** Writes the worker's answers (the expected provenance) for samples 0..count-1 to the leaf topic. */
    void answers(Kafka k, String topic, int count, LongFunction<String> answer) throws Exception {
        answers(k, topic, 0, count, answer);
    }

    /** The answers for samples base..base+count-1. */
    void answers(Kafka k, String topic, long base, int count, LongFunction<String> answer) throws Exception {
        long t = System.nanoTime();
        k.produce(topic, count, i -> "{\"sample_uid\":" + (base + i) + "}",
                i -> "{\"metaxy_provenance_by_field\":{\"embedding\":\"" + answer.apply(base + i) + "\"}}", 0, i -> base + i);
        log("answers: %d leaf rows to %s in %.1f s", count, topic, (System.nanoTime() - t) / 1e9);
    }

    double phase(Kafka k, String name, String topic, long expected, ThrowingRunnable produce) throws Exception {
        return phase(k, name, topic, expected, produce, -1);
    }

    /** Events/s of a phase; {@code pid} the job process whose CPU per record is logged, or -1. */
    double phase(Kafka k, String name, String topic, long expected, ThrowingRunnable produce, long pid) throws Exception {
        return expected / phase(k, name, new Counter(k.servers, topic, false), expected, produce, pid);
    }

    /** Samples of the first warm-up round: ids from {@link #WARM_BASE}, a fifth of N (50k to 400k). */
    int warmCount() {
        // At 10M a fifth would be minutes of warm-up; later rounds go on only while the JIT is busy.
        // At least 50k: each product job is a fresh JVM while the baselines run in this one, hot from
        // the phases before them; with 20k at 100k the product job's JIT still took 28% of its CPU in
        // the timed phase and --quick put the store-on job at 0.90x the SQL baseline (1.46x at 1M).
        return Math.max(50_000, Math.min(n / 5, 400_000));
    }

    static final long WARM_BASE = 3_000_000_000L;
    /** Warm-up samples the last {@link #warmUp} sent (its rounds together): the later phases' offsets count them. */
    int warmed;
    /** Seconds of further warm-up rounds per job while its JIT is still busy ({@code --warm-up-s}). */
    double warmUpBudgetS = Double.NaN;

    double warmUpBudget() {
        // One round by default: at 1M a minute more of warm-up (the job's JIT from 27% down to 5%
        // of its CPU) left the new phase's rate where it was (30.8k/s against 29.3k-31.4k), and
        // the harness JVM that runs the baselines never got its JIT under 23% in a minute.
        return Double.isNaN(warmUpBudgetS) ? 0 : warmUpBudgetS;
    }

    /**
     * Untimed: warm-up samples through a job (answered on {@code leafTopic} when given, so they
     * are current and the timed phases and the batch resolve see no extra work), so that the timed
     * phases measure compiled code in every job alike, not the JIT. A JFR of the job after a 200k
     * warm-up still showed C2 compiling big methods (1-2 s each) through the 1M phase, 22% of the
     * job's CPU. Each round logs the share of process {@code pid}'s CPU (the job's own, or this
     * JVM's for the baselines it runs) its compiler threads took; after the first round of
     * {@link #warmCount} samples, rounds of half that go on within {@link #warmUpBudget} seconds
     * ({@code --warm-up-s}) until that share is under 5%.
     * {@code tombstones}: the job answers a matching row with a tombstone on {@code out} (the SQL
     * baseline); they are awaited, so no later phase counts them. Sets {@link #warmed}.
     */
    void warmUp(Kafka k, String name, long pid, String root, String out, String leafTopic, LongFunction<String> answer,
            boolean tombstones) throws Exception {
        long deadline = 0;
        int sent = 0;
        for (int round = 0; ; round++) {
            int w = round == 0 ? warmCount() : Math.max(10_000, warmCount() / 2);
            long base = WARM_BASE + sent;
            long[] before = JitCpu.of(pid);
            phase(k, name + " warm-up" + (round == 0 ? "" : " " + (round + 1)), out, w,
                    () -> k.produceSimple(root, base, w, false, 0));
            if (leafTopic != null) {
                Counter counter = tombstones ? new Counter(k.servers, out, false) : null;
                answers(k, leafTopic, base, w, answer);
                if (counter != null) {
                    counter.awaitTombstones(w, Duration.ofSeconds(120 + w / 200));
                    counter.close();
                }
            }
            sent += w;
            long[] after = JitCpu.of(pid);
            double share = JitCpu.share(before, after);
            if (round == 0) {
                deadline = System.nanoTime() + (long) (warmUpBudget() * 1e9);
            }
            boolean quiet = share < 0.05;
            log("%s warm-up round %d: the JIT took %.0f%% of the process's CPU%s", name, round + 1, share * 100,
                    quiet ? "" : System.nanoTime() > deadline ? " (warm-up budget spent)" : "");
            if (quiet || System.nanoTime() > deadline) {
                break;
            }
        }
        warmed = sent;
    }

    /** Starts the clock, produces, waits until {@code counter} has {@code expected} values; seconds. */
    double phase(Kafka k, String name, Counter counter, long expected, ThrowingRunnable produce) throws Exception {
        return phase(k, name, counter, expected, produce, -1);
    }

    /** The job's CPU per record of the last {@link #phase} given a pid, in microseconds (its broker's included). */
    double lastCpuPerRecordUs = Double.NaN;
    /**
     * The whole machine's CPU per record of the last {@link #phase} (every process: the job, the
     * broker, this harness's producer and consumer), in microseconds: the one scale on which the
     * product job, the ceiling and the SQL baseline, each in its own JVM, compare.
     */
    double lastMachineCpuPerRecordUs = Double.NaN;

    /**
     * As {@link #phase(Kafka, String, Counter, long, ThrowingRunnable)}, also logging the CPU the
     * job process {@code pid} (its embedded broker included) spent per record: unlike the rate it
     * does not move with what the machine's neighbours take, so settings compare on it across runs.
     */
    double phase(Kafka k, String name, Counter counter, long expected, ThrowingRunnable produce, long pid) throws Exception {
        long[] cpuBefore = pid > 0 ? JitCpu.of(pid) : null;
        long[] machineBefore = MachineCpu.read();
        long t0 = System.nanoTime();
        Thread producer = new Thread(() -> {
            try {
                produce.run();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "bench-producer");
        producer.start();
        // The commands' one progress line: a phase of 10M samples runs for minutes.
        try (io.metaxy.flink.cli.ProgressLine progress = io.metaxy.flink.cli.ProgressLine.start(name)) {
            progress.update(() -> String.format("%,d of %,d increments", counter.values.get(), expected));
            counter.awaitValues(expected, Duration.ofSeconds(180 + expected / 100));
        } finally {
            counter.close();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        producer.join();
        long[] machineAfter = MachineCpu.read();
        lastMachineCpuPerRecordUs = MachineCpu.busyMicros(machineBefore, machineAfter) / expected;
        String machine = String.format("; machine CPU %.1f us/record (busy %.0f%%, steal %.0f%%)", lastMachineCpuPerRecordUs,
                MachineCpu.busyShare(machineBefore, machineAfter) * 100, MachineCpu.stealShare(machineBefore, machineAfter) * 100);
        String cpu = "";
        if (cpuBefore != null) {
            long[] after = JitCpu.of(pid);
            lastCpuPerRecordUs = (after[1] - cpuBefore[1]) * 1e6 / JitCpu.TICKS_PER_S / expected;
            cpu = String.format("; job CPU %.1f us/record (JIT %.0f%%)", lastCpuPerRecordUs, JitCpu.share(cpuBefore, after) * 100);
        }
        log("%s: %d in %.2f s = %.0f/s%s%s", name, expected, s, expected / s, cpu, machine);
        return s;
    }

    String latencyDrift = "";
    private int latencyDumps;

    /** Partitions of the SQL baseline's topics: as many as the product job creates (one per core, as run does). */
    static final int PARTITIONS = Runtime.getRuntime().availableProcessors();

    /** Rate-limited new samples; {p50, p99, count} of append → increment readable, in ms. */
    double[] latency(Kafka k, String video, String inc, double rate, int seconds) throws Exception {
        int count = (int) (rate * seconds);
        long base = 1_000_000_000L;
        Counter c = new Counter(k.servers, inc, true);
        java.time.Instant started = java.time.Instant.now();
        k.produceSimple(video, base, count, false, rate);
        c.awaitValues(count, Duration.ofSeconds(seconds + 120));
        c.close();
        long[] l = c.latencies();
        String dump = System.getProperty("mxbench.latency-dump");
        if (dump != null) {
            // For diagnosis: the latencies in arrival order, one per line (wall clock of the poll in
            // ms, latency in ms), with the wall clock of the phase's start.
            long[] at = c.arrivals();
            StringBuilder sb = new StringBuilder("# start " + started + " rate " + rate + "\n");
            for (int i = 0; i < l.length; i++) {
                sb.append(at[i]).append(' ').append(l[i]).append('\n');
            }
            // One file per phase (exactly-once, then at-least-once): FILE.1, FILE.2, …
            Files.writeString(Path.of(dump + "." + (++latencyDumps)), sb);
        }
        // In arrival order: a latency that grows from the first to the last tenth means the
        // offered load was above what the job sustained then (a backlog, not steady freshness).
        int tenth = Math.max(1, l.length / 10);
        long[] first = Arrays.copyOfRange(l, 0, tenth);
        long[] last = Arrays.copyOfRange(l, l.length - tenth, l.length);
        Arrays.sort(first);
        Arrays.sort(last);
        latencyDrift = String.format("median of the first tenth %d ms, of the last tenth %d ms", first[first.length / 2],
                last[last.length / 2]);
        log("latency drift: %s", latencyDrift);
        Arrays.sort(l);
        double p50 = percentile(l, 0.50);
        double p99 = percentile(l, 0.99);
        log("latency at %.0f/s: p50 %.0f ms, p99 %.0f ms, max %d ms (%d samples)", rate, p50, p99, l[l.length - 1], l.length);
        return new double[] {p50, p99, l.length};
    }

    /** The {@code q} quantile of sorted latencies (p50: the middle one; p99: nearest rank); NaN for none. */
    static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return q == 0.50 ? sorted[sorted.length / 2]
                : sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)];
    }

    /** Checkpoint size/duration from the REST API, and the size of the checkpoint directory. */
    void checkpoints(Job job, long samples, int parents) throws Exception {
        JsonNode jobs = rest(job.webPort, "/jobs");
        String id = jobs.path("jobs").get(0).path("id").asText();
        // Let a checkpoint complete after the last writes.
        Thread.sleep(3000);
        JsonNode cp = rest(job.webPort, "/jobs/" + id + "/checkpoints");
        JsonNode latest = cp.path("latest").path("completed");
        long stateSize = latest.path("state_size").asLong();
        long checkpointed = latest.path("checkpointed_size").asLong();
        long duration = latest.path("end_to_end_duration").asLong();
        long dirBytes = dirSize(job.dataDir.resolve("checkpoints"));
        log("checkpoint %s: state %d B, incremental %d B, %d ms; checkpoint dir %d B", latest.path("id"), stateSize,
                checkpointed, duration, dirBytes);
        add("state.bytes_per_sample_parent", (double) stateSize / samples / parents, "bytes", samples,
                "target: 64 bytes", 64.0, "latest completed checkpoint's full state size (REST state_size, RocksDB, incremental) / (samples x parents); checkpoint dir on disk "
                        + dirBytes + " B (" + String.format("%.1f", (double) dirBytes / samples / parents) + " B/sample/parent)");
        add("checkpoint.size_bytes", (double) stateSize, "bytes", samples, null, null, "incremental part " + checkpointed + " B");
        add("checkpoint.duration_ms", (double) duration, "ms", samples, null, null,
                "latest completed checkpoint end-to-end (average " + cp.path("summary").path("end_to_end_duration").path("avg").asText() + " ms)");
    }

    /** kill -9 the job, restart run on the same data dir; seconds until a new row's increment is readable. */
    double recovery(Job job, Kafka k, String video, String inc) throws Exception {
        Thread.sleep(2500); // a checkpoint after the last writes
        job.kill9();
        k.close();
        long t0 = System.nanoTime();
        job.restart();
        try (Kafka k2 = new Kafka(job.servers())) {
            Counter c = new Counter(k2.servers, inc, false);
            k2.produceSimple(video, 2_000_000_000L, 1, false, 0);
            c.awaitValues(1, Duration.ofSeconds(300));
            c.close();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        log("recovery: %.1f s (%s)", s, job.resumedLine);
        return s;
    }

    /** The answers for the samples the stale phase changed (every 10th from {@code base}). */
    void answersStale(Kafka k, String topic, long base, int count) throws Exception {
        long t = System.nanoTime();
        k.produce(topic, count / 10, i -> "{\"sample_uid\":" + (base + i * 10) + "}",
                i -> "{\"metaxy_provenance_by_field\":{\"embedding\":\"" + staleAnswer.apply(base + i * 10) + "\"}}", 0,
                i -> base + i * 10);
        log("answers: %d stale leaf rows to %s in %.1f s", count / 10, topic, (System.nanoTime() - t) / 1e9);
    }

    /**
     * The freshness of a 10% change: samples 5, 15, 25, … get a changed audio, sent at
     * {@code rate}; {surface s (last changed row sent → last stale increment readable), p50 ms,
     * p99 ms of each change's append → increment}.
     */
    double[] stalePaced(Kafka k, String video, String inc, double rate) throws Exception {
        return stalePaced(k, video, inc, rate, "");
    }

    /** As {@link #stalePaced(Kafka, String, String, double)}; {@code prefix} names the result ({@code at_least_once.}). */
    double[] stalePaced(Kafka k, String video, String inc, double rate, String prefix) throws Exception {
        Counter c = new Counter(k.servers, inc, true);
        long expected = n / 10;
        long[] lastSent = new long[1];
        Thread producer = new Thread(() -> {
            try {
                k.produceSimple(video, 5, n, true, rate);
                lastSent[0] = System.nanoTime();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "bench-producer");
        producer.start();
        try (io.metaxy.flink.cli.ProgressLine progress = io.metaxy.flink.cli.ProgressLine.start("stream.simple.stale (paced)")) {
            progress.update(() -> String.format("%,d of %,d increments", c.values.get(), expected));
            c.awaitValues(expected, Duration.ofSeconds(180 + (long) (expected / rate) + expected / 100));
        } finally {
            c.close();
        }
        long done = System.nanoTime();
        producer.join();
        double surface = (done - lastSent[0]) / 1e9;
        long[] l = c.latencies();
        Arrays.sort(l);
        double p50 = percentile(l, 0.50);
        double p99 = percentile(l, 0.99);
        log("stale paced at %.0f/s: %d changes, last surfaced %.2f s after the last was sent; per change p50 %.0f ms, p99 %.0f ms; kinds %s",
                rate, expected, surface, p50, p99, c.kinds());
        add("stream.simple.stale.paced." + prefix + "p99_ms", p99, "ms", expected, null, null,
                String.format("each changed row's append -> its stale increment readable, at %.0f samples/s; p50 %.0f ms", rate, p50));
        return new double[] {surface, p50, p99};
    }

    /** The last checkpoints' end-to-end durations (REST history), for the freshness notes. */
    static String checkpointHistory(Job job) {
        try {
            String id = rest(job.webPort, "/jobs").path("jobs").get(0).path("id").asText();
            JsonNode history = rest(job.webPort, "/jobs/" + id + "/checkpoints").path("history");
            List<Long> d = new ArrayList<>();
            history.forEach(h -> {
                if (h.path("status").asText().equals("COMPLETED")) {
                    d.add(h.path("end_to_end_duration").asLong());
                }
            });
            java.util.Collections.sort(d);
            String s = d.isEmpty() ? "no checkpoint history" : String.format("last %d checkpoints: median %d ms, max %d ms",
                    d.size(), d.get(d.size() / 2), d.get(d.size() - 1));
            // Where the slowest one spent its time, per operator chain: what a freshness fix must shorten.
            JsonNode slowest = null;
            for (JsonNode h : history) {
                if (h.path("status").asText().equals("COMPLETED") && (slowest == null
                        || h.path("end_to_end_duration").asLong() > slowest.path("end_to_end_duration").asLong())) {
                    slowest = h;
                }
            }
            if (slowest != null) {
                StringBuilder b = new StringBuilder("; slowest (" + slowest.path("end_to_end_duration").asLong() + " ms):");
                JsonNode vertices = rest(job.webPort, "/jobs/" + id).path("vertices");
                for (JsonNode v : vertices) {
                    JsonNode sum = rest(job.webPort, "/jobs/" + id + "/checkpoints/details/" + slowest.path("id").asText()
                            + "/subtasks/" + v.path("id").asText()).path("summary");
                    b.append(String.format(" [%s: ack %d, sync %d, async %d, align %d, start delay %d ms]",
                            v.path("name").asText().replaceAll(" ?[-=]>.*", "").trim(), sum.path("end_to_end_duration").path("max").asLong(),
                            sum.path("checkpoint_duration").path("sync").path("max").asLong(),
                            sum.path("checkpoint_duration").path("async").path("max").asLong(),
                            sum.path("alignment").path("duration").path("max").asLong(),
                            sum.path("start_delay").path("max").asLong()));
                }
                s += b;
            }
            log("checkpoints: %s", s);
            return s;
        } catch (Exception e) {
            return "checkpoint history unavailable: " + e.getMessage();
        }
    }

    /**
     * {state restore s, s before the tasks were deployed}: per subtask of the keyed operators,
     * INITIALIZING → RUNNING is the time Flink took to restore its state (REST subtasktimes);
     * the rest of the recovery is the process and broker starting.
     */
    double[] restoreSeconds(Job job) throws Exception {
        JsonNode overview = rest(job.webPort, "/jobs/overview").path("jobs").get(0);
        String id = overview.path("jid").asText();
        long jobStart = overview.path("start-time").asLong();
        double restore = 0;
        long firstInit = Long.MAX_VALUE;
        for (JsonNode v : rest(job.webPort, "/jobs/" + id).path("vertices")) {
            JsonNode times = rest(job.webPort, "/jobs/" + id + "/vertices/" + v.path("id").asText() + "/subtasktimes");
            for (JsonNode st : times.path("subtasks")) {
                JsonNode ts = st.path("timestamps");
                long init = ts.path("INITIALIZING").asLong();
                long running = ts.path("RUNNING").asLong();
                if (init > 0 && running >= init) {
                    firstInit = Math.min(firstInit, init);
                    if (v.path("name").asText().contains("increments") || v.path("name").asText().contains("assign")) {
                        restore = Math.max(restore, (running - init) / 1000.0);
                    }
                }
            }
        }
        double launchToJob = job.startSeconds.get(job.startSeconds.size() - 1);
        log("restore: keyed operators INITIALIZING -> RUNNING at most %.2f s (job submitted %d ms before the first subtask initialized)",
                restore, firstInit == Long.MAX_VALUE ? -1 : firstInit - jobStart);
        return new double[] {restore, launchToJob - restore};
    }

    /**
     * Best of 3 {@code resolveUpdate(bench/leaf)}: {seconds, samples in the increment}. {@code phase}
     * names the kind most changed samples must have, so the figure cannot quietly measure another mix.
     */
    double[] batchResolve(Path duckdb, FeatureGraph graph, String phase) {
        double best = Double.MAX_VALUE;
        long samples = 0;
        try (MetadataStore store = MetadataStores.open("duckdb:" + duckdb, graph, AccessMode.READ)) {
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                Increment inc = store.resolveUpdate("bench/leaf");
                double s = (System.nanoTime() - t0) / 1e9;
                best = Math.min(best, s);
                log("batch resolveUpdate (%s phase): %.2f s (new %d, stale %d, orphaned %d)", phase, s, inc.added().size(),
                        inc.stale().size(), inc.orphaned().size());
                // The new phase also finds the stale phase's samples, whose leaf rows the harness answered
                // before their change: at most n/10 of them (at 10M more than the latency phase's new ones).
                long wrong = phase.equals("new") ? inc.orphaned().size() + Math.max(0, inc.stale().size() - n / 10)
                        : inc.added().size() + inc.orphaned().size();
                if (wrong > 0 || inc.added().size() + inc.stale().size() == 0) {
                    throw new IllegalStateException("the " + phase + " phase's resolve found another mix of increments");
                }
                samples = inc.added().size() + inc.stale().size();
            }
        }
        return new double[] {best, samples};
    }

    /**
     * The batch stale phase on the job's DuckDB file: every sample's leaf row recorded with its
     * expected provenance, then a changed audio version for every tenth root sample, both in SQL
     * (writing millions of rows through the API would take longer than the run). Returns
     * {seconds of the best resolve, samples compared}.
     */
    double[] batchStale(Path duckdb, FeatureGraph graph) throws Exception {
        long samples;
        try (MetadataStore store = MetadataStores.open("duckdb:" + duckdb, graph, AccessMode.WRITE);
                // Same file, same JVM: the same DuckDB instance, so the store's hash function is registered here too.
                java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:" + duckdb)) {
            // The leaf table as the store creates it; the probe row is removed again below.
            store.write("bench/leaf", List.of(MetadataRow.builder().ids(Map.of("sample_uid", -1L))
                    .provenanceByField(Map.of("embedding", "probe")).build()));
            LazyIncrement all = store.resolveUpdateLazy("bench/leaf", ResolveOptions.defaults());
            try (java.sql.Statement st = c.createStatement()) {
                st.execute("DELETE FROM bench__leaf");
            }
            String feature = DefinitionVersions.of(graph).featureVersion(FeatureKey.of("bench/leaf"));
            String pf = "CAST(r.__pf0 AS VARCHAR)";
            String p = "CAST(r.__p AS VARCHAR)";
            try (java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO bench__leaf BY NAME SELECT r.sample_uid,"
                    + " {'embedding': " + pf + "} AS metaxy_provenance_by_field, " + p + " AS metaxy_provenance,"
                    + " {'embedding': " + pf + "} AS metaxy_data_version_by_field, " + p + " AS metaxy_data_version,"
                    + " '" + feature + "' AS metaxy_feature_version, now() AS metaxy_created_at, now() AS metaxy_updated_at"
                    + " FROM (" + all.sql() + ") r")) {
                for (int i = 0; i < all.parameters().size(); i++) {
                    ps.setObject(i + 1, all.parameters().get(i));
                }
                samples = ps.executeUpdate();
            }
            try (java.sql.Statement st = c.createStatement()) {
                // The latest root row of every tenth sample again, an hour later, with another audio version.
                st.execute("INSERT INTO bench__video SELECT * REPLACE ({'audio': metaxy_data_version_by_field.audio || 'b',"
                        + " 'frames': metaxy_data_version_by_field.frames} AS metaxy_data_version_by_field,"
                        + " now() + INTERVAL 1 HOUR AS metaxy_created_at, now() + INTERVAL 1 HOUR AS metaxy_updated_at,"
                        + " NULL AS metaxy_materialization_id) FROM bench__video WHERE sample_uid % 10 = 7"
                        + " QUALIFY row_number() OVER (PARTITION BY sample_uid ORDER BY metaxy_updated_at DESC) = 1");
                st.execute("CHECKPOINT");
            }
        }
        log("batch stale phase: %d leaf rows recorded, every tenth root sample changed", samples);
        double[] r = batchResolve(duckdb, graph, "stale");
        return new double[] {r[0], samples};
    }

    // ---------------------------------------------------------------- output

    void add(String name, Double value, String unit, long samples, String baseline, Double baselineValue, String note) {
        ObjectNode o = results.addObject();
        o.put("name", name);
        if (value == null || value.isNaN()) {
            o.putNull("value");
        } else {
            o.put("value", Math.round(value * 1000) / 1000.0);
        }
        o.put("unit", unit);
        o.put("samples", samples);
        o.put("baseline", baseline);
        if (baselineValue == null || baselineValue.isNaN()) {
            o.putNull("baseline_value");
        } else {
            o.put("baseline_value", Math.round(baselineValue * 1000) / 1000.0);
        }
        if (note != null) {
            o.put("note", note);
        }
    }

    void write() throws IOException {
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results) + "\n");
        // One file per size too, for the plot against size.
        Path perSize = out.resolveSibling("results-" + sizeName() + ".json");
        Files.writeString(perSize, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results) + "\n");
    }

    static void log(String format, Object... args) {
        System.out.println("[bench " + Instant.now().toString().substring(11, 19) + "] " + String.format(format, args));
        System.out.flush();
    }

    // ---------------------------------------------------------------- helpers

    static JsonNode rest(int port, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    static void waitRunning(JobClient job) throws Exception {
        // Submitted is not running: the source must have its splits before the clock starts.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!job.getJobStatus().get().toString().equals("RUNNING")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("baseline job did not start");
            }
            Thread.sleep(200);
        }
        Thread.sleep(3000);
    }

    /** Waits until the job's consumer group has committed offsets at the end of {@code topic} (checkpointed). */
    /**
     * Until the job has read {@code topic} up to {@code end} records and two checkpoints completed
     * after that, so its state holds them (what the group's committed offsets would say, but those
     * lag up to 10 s on an idle topic: the connector's commit waits for its fetcher's 10 s poll).
     * The read position is the source's {@code currentOffset} per partition (REST metrics).
     */
    static void waitConsumed(Job job, String topic, long end, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long t0 = System.nanoTime();
        String id = rest(job.webPort, "/jobs").path("jobs").get(0).path("id").asText();
        String source = rest(job.webPort, "/jobs/" + id).path("vertices").get(0).path("id").asText();
        String metrics = "/jobs/" + id + "/vertices/" + source + "/subtasks/metrics";
        String prefix = ".KafkaSourceReader.topic." + topic.replace('.', '_') + ".partition.";
        while (System.nanoTime() < deadline) {
            List<String> names = new ArrayList<>();
            for (JsonNode m : rest(job.webPort, metrics)) {
                String name = m.path("id").asText();
                if (name.contains(prefix) && name.endsWith(".currentOffset")) {
                    names.add(name);
                }
            }
            long read = 0;
            if (!names.isEmpty()) {
                // A partition's metric exists on the subtask that owns it only, so max is that subtask's value.
                for (JsonNode m : rest(job.webPort, metrics + "?agg=max&get=" + String.join(",", names))) {
                    read += (long) m.path("max").asDouble() + 1;
                }
            }
            if (read >= end) {
                long done = checkpointsCompleted(job, id) + 2;
                while (checkpointsCompleted(job, id) < done) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("no checkpoint completed after the job read " + topic);
                    }
                    Thread.sleep(100);
                }
                log("job consumed %s up to %d in %.1f s", topic, end, (System.nanoTime() - t0) / 1e9);
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the job did not consume " + topic + " to " + end);
    }

    static long checkpointsCompleted(Job job, String id) throws Exception {
        return rest(job.webPort, "/jobs/" + id + "/checkpoints").path("counts").path("completed").asLong();
    }

    static long dirSize(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.toString().contains("savepoint")).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    // ---------------------------------------------------------------- the job process

    static final class Job {
        final Issue8Bench bench;
        final String graph;
        final Path dataDir;
        final List<String> extra;
        final int kafkaPort;
        final int webPort;
        Process process;
        String resumedLine;
        int starts;
        /** Seconds from launching the process to all of the job's tasks running, per launch. */
        final List<Double> startSeconds = new ArrayList<>();

        Job(Issue8Bench bench, String graph, Path dataDir, List<String> extra) throws IOException {
            this.bench = bench;
            this.graph = graph;
            this.dataDir = dataDir;
            this.extra = extra;
            this.kafkaPort = freePort();
            this.webPort = freePort();
        }

        static Job start(Issue8Bench bench, String graph, String name, List<String> extra) throws Exception {
            Job job = new Job(bench, graph, bench.work.resolve(name), extra);
            job.launch();
            return job;
        }

        String servers() {
            return "127.0.0.1:" + kafkaPort;
        }

        long pid() {
            return process.pid();
        }

        void launch() throws Exception {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            // For diagnosis: JVM options of the job processes (e.g. a log4j2 configuration with more loggers).
            String jvmArgs = System.getProperty("mxbench.job-jvm-args", "").trim();
            if (!jvmArgs.isEmpty()) {
                cmd.addAll(List.of(jvmArgs.split("\\s+")));
            }
            cmd.addAll(List.of("-jar", bench.jar.toString(), "run", "--graph", bench.repo.resolve("bench/graphs/" + graph + ".yaml").toString(),
                    "--embedded-kafka", "--kafka-port", String.valueOf(kafkaPort), "--web-port", String.valueOf(webPort),
                    // run's defaults: one partition per subtask of the topics it creates.
                    "--data-dir", dataDir.toString(),
                    // The REST API's metrics (waitConsumed reads the source's offsets there) are
                    // refreshed every 10 s by default: each wait would lag by up to that.
                    "--flink-property", "metrics.fetcher.update-interval=200"));
            cmd.addAll(extra);
            cmd.addAll(bench.jobArgs);
            Path logFile = bench.work.resolve(dataDir.getFileName() + "-" + (++starts) + ".log");
            log("starting: %s", String.join(" ", cmd.subList(1, cmd.size())));
            long launched = System.nanoTime();
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
            Process started = process;
            // A harness that dies (Ctrl-C, a failed phase) leaves no job process behind.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (started.isAlive()) {
                    started.destroyForcibly();
                }
            }));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (true) {
                String text = Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.ISO_8859_1) : "";
                int i = text.indexOf("State: ");
                if (i >= 0) {
                    resumedLine = text.substring(i, text.indexOf('\n', i) < 0 ? text.length() : text.indexOf('\n', i));
                    break;
                }
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the job did not start; its log:\n" + text);
                }
                Thread.sleep(100);
            }
            // Wait for the job's tasks to run (the banner comes at submission).
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                try {
                    JsonNode jobs = rest(webPort, "/jobs/overview").path("jobs");
                    if (jobs.size() > 0 && jobs.get(0).path("state").asText().equals("RUNNING")
                            && jobs.get(0).path("tasks").path("running").asInt() == jobs.get(0).path("tasks").path("total").asInt()) {
                        break;
                    }
                } catch (IOException e) {
                    // REST not up yet
                }
                Thread.sleep(200);
            }
            startSeconds.add((System.nanoTime() - launched) / 1e9);
            log("job running after %.1f s (%s)", startSeconds.get(startSeconds.size() - 1), resumedLine);
        }

        void kill9() throws Exception {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            log("job killed (kill -9)");
        }

        void restart() throws Exception {
            launch();
        }

        /** SIGTERM: the job stops with a savepoint, then the broker; waits for the process. */
        void stop() throws Exception {
            if (process == null || !process.isAlive()) {
                return;
            }
            process.destroy();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
            log("job stopped (exit %d)", process.exitValue());
        }
    }

    // ---------------------------------------------------------------- Kafka clients

    static final class Kafka implements AutoCloseable {
        final String servers;
        final Admin admin;
        final KafkaProducer<byte[], byte[]> producer;

        Kafka(String servers) {
            this.servers = servers;
            Properties a = new Properties();
            a.put("bootstrap.servers", servers);
            admin = Admin.create(a);
            Properties p = new Properties();
            p.put("bootstrap.servers", servers);
            p.put("linger.ms", "5");
            p.put("batch.size", String.valueOf(256 * 1024));
            p.put("max.block.ms", "300000");
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        }

        void createTopic(String topic, int partitions) throws Exception {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }

        /** Simple-graph root rows for samples base..base+count-1; {@code stale}: every 10th with a changed audio. */
        void produceSimple(String topic, long base, int count, boolean stale, double rate) throws Exception {
            if (stale) {
                int m = count / 10;
                produce(topic, m, i -> "{\"sample_uid\":" + (base + i * 10) + "}",
                        i -> "{\"metaxy_provenance_by_field\":{\"audio\":\"a" + (base + i * 10) + "s\",\"frames\":\"f" + (base + i * 10) + "\"}}",
                        rate, i -> base + i * 10);
            } else {
                produce(topic, count, i -> "{\"sample_uid\":" + (base + i) + "}",
                        i -> "{\"metaxy_provenance_by_field\":{\"audio\":\"a" + (base + i) + "\",\"frames\":\"f" + (base + i) + "\"}}",
                        rate, i -> base + i);
            }
        }

        /** Every tenth sample's left root again, with f1 changed ({@code l1_<i>s}). */
        void produceWideStale(String left, int count) throws Exception {
            produce(left, count / 10, i -> "{\"sample_uid\":" + i * 10 + "}",
                    i -> "{\"metaxy_provenance_by_field\":{\"f1\":\"l1_" + i * 10 + "s\",\"f2\":\"l2_" + i * 10 + "\",\"f3\":\"l3_"
                            + i * 10 + "\",\"f4\":\"l4_" + i * 10 + "\"}}", 0, i -> i * 10);
        }

        void produceWide(String left, String right, int count) {
            for (int i = 0; i < count; i++) {
                byte[] key = ("{\"sample_uid\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(left, key, ("{\"metaxy_provenance_by_field\":{\"f1\":\"l1_" + i + "\",\"f2\":\"l2_" + i
                        + "\",\"f3\":\"l3_" + i + "\",\"f4\":\"l4_" + i + "\"}}").getBytes(StandardCharsets.UTF_8)));
                producer.send(new ProducerRecord<>(right, key, ("{\"metaxy_provenance_by_field\":{\"g1\":\"r1_" + i + "\",\"g2\":\"r2_" + i
                        + "\",\"g3\":\"r3_" + i + "\",\"g4\":\"r4_" + i + "\"}}").getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }

        /** {@code rate} > 0: at most that many records per second; the record timestamp is the send time. */
        void produce(String topic, long count, LongFunction<String> key, LongFunction<String> value, double rate,
                LongFunction<Long> uid) throws Exception {
            long t0 = System.nanoTime();
            AtomicLong failed = new AtomicLong();
            for (long i = 0; i < count; i++) {
                if (rate > 0) {
                    long due = t0 + (long) (i * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                long ts = System.currentTimeMillis();
                if (rate > 0) {
                    SENT.put(uid.apply(i), ts);
                }
                producer.send(new ProducerRecord<>(topic, null, ts, key.apply(i).getBytes(StandardCharsets.UTF_8),
                        value.apply(i).getBytes(StandardCharsets.UTF_8)), (m, e) -> {
                            if (e != null) {
                                failed.incrementAndGet();
                            }
                        });
            }
            producer.flush();
            if (failed.get() > 0) {
                throw new IllegalStateException(failed.get() + " sends to " + topic + " failed");
            }
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(10));
            admin.close(Duration.ofSeconds(10));
        }
    }

    /**
     * A read_committed consumer from the end of a topic (as of its creation) counting values and
     * tombstones; with {@code latency}, the ms from each sample's root append (its id → the root
     * record's timestamp, taken as the send time) to the moment its increment was polled.
     */
    static final class Counter implements AutoCloseable {
        final KafkaConsumer<byte[], byte[]> consumer;
        final boolean latency;
        final Thread thread;
        final AtomicLong values = new AtomicLong();
        final AtomicLong tombstones = new AtomicLong();
        final Map<String, AtomicLong> kinds = new java.util.concurrent.ConcurrentHashMap<>();
        final List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        /** Wall clock (ms) of each latency's poll, in the same order: to lay latencies beside checkpoints. */
        final List<Long> arrivals = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile boolean stop;
        volatile Throwable error;

        /** Reads every partition of {@code topic}: the job creates one per subtask by default. */
        Counter(String servers, String topic, boolean latency) {
            Properties c = new Properties();
            c.put("bootstrap.servers", servers);
            c.put("isolation.level", "read_committed");
            c.put("max.poll.records", "5000");
            String fetchWait = System.getProperty("mxbench.fetch-max-wait-ms");
            if (fetchWait != null) {
                c.put("fetch.max.wait.ms", fetchWait);
            }
            consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(tps);
            consumer.seekToEnd(tps);
            tps.forEach(consumer::position);
            this.latency = latency;
            thread = new Thread(this::loop, "bench-consumer-" + topic);
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            try {
                while (!stop) {
                    var records = consumer.poll(Duration.ofMillis(100));
                    long now = System.currentTimeMillis();
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        if (r.value() == null) {
                            tombstones.incrementAndGet();
                            continue;
                        }
                        if (latency) {
                            // The increment's "cause" names the root record; its timestamp is
                            // the producer's send time, carried by the root's Kafka timestamp.
                            long ts = causeTimestamp(r);
                            if (ts > 0) {
                                synchronized (latencies) {
                                    latencies.add(now - ts);
                                    arrivals.add(now);
                                }
                            }
                        }
                        String v = new String(r.value(), 0, Math.min(r.value().length, 20), StandardCharsets.UTF_8);
                        int k = v.indexOf("\"kind\":\"");
                        if (k >= 0) {
                            String kind = v.substring(k + 8, v.indexOf('"', k + 8) < 0 ? v.length() : v.indexOf('"', k + 8));
                            kinds.computeIfAbsent(kind, x -> new AtomicLong()).incrementAndGet();
                        }
                        values.incrementAndGet();
                    }
                }
            } catch (Throwable t) {
                error = t;
            } finally {
                consumer.close(Duration.ofSeconds(5));
            }
        }

        /** The increment's own created time: the root record's timestamp, from the increment's value. */
        private static long causeTimestamp(ConsumerRecord<byte[], byte[]> r) {
            return SENT.getOrDefault(uid(r.key()), -1L);
        }

        static long uid(byte[] key) {
            long v = 0;
            boolean any = false;
            for (byte b : key) {
                if (b >= '0' && b <= '9') {
                    v = v * 10 + (b - '0');
                    any = true;
                } else if (any) {
                    break;
                }
            }
            return v;
        }

        void awaitValues(long expected, Duration timeout) throws Exception {
            await(() -> values.get() >= expected, timeout, "values " + expected);
        }

        void awaitTombstones(long expected, Duration timeout) throws Exception {
            await(() -> tombstones.get() >= expected, timeout, "tombstones " + expected);
        }

        private void await(java.util.function.BooleanSupplier done, Duration timeout, String what) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.getAsBoolean()) {
                if (error != null) {
                    throw new IllegalStateException(error);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out waiting for " + what + ": values " + values + ", tombstones " + tombstones);
                }
                Thread.sleep(2);
            }
        }

        Map<String, AtomicLong> kinds() {
            return kinds;
        }

        long[] latencies() {
            synchronized (latencies) {
                return latencies.stream().mapToLong(Long::longValue).toArray();
            }
        }

        long[] arrivals() {
            synchronized (latencies) {
                return arrivals.stream().mapToLong(Long::longValue).toArray();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }
    }

    /** Sample id → send time (ms) of its latest root row, for the latency phase. */
    static final Map<Long, Long> SENT = new java.util.concurrent.ConcurrentHashMap<>();
}
