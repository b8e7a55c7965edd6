package io.metaxy.flink.benchmarks;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldRef;
import io.metaxy.flink.definitions.FieldSpec;
import io.metaxy.flink.definitions.FieldsMapping;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Provenance of one sample (the job's hot path): the precomputed {@link ProvenanceCalculator}
 * against a baseline that builds the design §3 strings naively (sort, join, encode per call),
 * both in the same run. Single-threaded, so ops/s is samples/s per core.
 *
 * <pre>
 * mvn -q test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *     -Dexec.args="-cp %classpath org.openjdk.jmh.Main ProvenanceBenchmark"
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class ProvenanceBenchmark {

    /** Fields of the feature and parents (each with that many fields) it reads. */
    @Param({"2x1", "4x3"})
    public String shape;

    private FeatureGraph graph;
    private FeatureKey target;
    private ProvenanceCalculator calculator;
    private String[][] parentVersions;
    private Map<FeatureKey, Map<String, String>>[] upstreamMaps;
    private int next;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() {
        int fields = Integer.parseInt(shape.split("x")[0]);
        int parents = Integer.parseInt(shape.split("x")[1]);
        List<FeatureSpec> specs = new ArrayList<>();
        FeatureSpec.Builder child = FeatureSpec.builder("bench/child");
        for (int p = 0; p < parents; p++) {
            FeatureSpec.Builder parent = FeatureSpec.builder("bench/parent_" + p);
            for (int f = 0; f < fields; f++) {
                parent.field(FieldSpec.of("field_" + f, "1"));
            }
            specs.add(parent.build());
            child.dep(FeatureDep.on("bench/parent_" + p).fieldsMapping(FieldsMapping.defaults()).build());
        }
        for (int f = 0; f < fields; f++) {
            child.field(FieldSpec.of("field_" + f, "2"));
        }
        specs.add(child.build());
        graph = FeatureGraph.of(specs);
        target = FeatureKey.of("bench/child");
        calculator = ProvenanceCalculator.of(graph, target, SampleHasher.DEFAULT);
        // 1024 distinct samples so the benchmark does not hash one constant input.
        parentVersions = new String[1024][];
        upstreamMaps = new Map[1024];
        for (int s = 0; s < parentVersions.length; s++) {
            List<FieldRef> slots = calculator.parentSlots();
            parentVersions[s] = new String[slots.size()];
            Map<FeatureKey, Map<String, String>> upstream = new TreeMap<>();
            for (int i = 0; i < slots.size(); i++) {
                String version = Integer.toString(1_000_000 + s * 31 + i);
                parentVersions[s][i] = version;
                upstream.computeIfAbsent(slots.get(i).feature(), k -> new TreeMap<>()).put(slots.get(i).field().toString(), version);
            }
            upstreamMaps[s] = upstream;
        }
    }

    @Benchmark
    public String precomputed() {
        String[] byField = calculator.provenanceByField(parentVersions[next++ & 1023]);
        return calculator.provenance(byField);
    }

    @Benchmark
    public String naiveBaseline() {
        Map<FeatureKey, Map<String, String>> upstream = upstreamMaps[next++ & 1023];
        FeatureSpec spec = graph.spec(target);
        Map<String, String> byField = new TreeMap<>();
        for (FieldSpec field : spec.fields()) {
            List<String> parts = new ArrayList<>(List.of(field.key().toString(), field.codeVersion()));
            List<FieldRef> parents = new ArrayList<>(graph.parentFields(target, field.key()));
            parents.sort(FieldRef.ORDER);
            for (FieldRef parent : parents) {
                parts.add(parent.toString());
                parts.add(upstream.get(parent.feature()).get(parent.field().toString()));
            }
            byField.put(field.key().toString(), SampleHasher.DEFAULT.hash(String.join("|", parts)));
        }
        return SampleHasher.DEFAULT.hash(String.join("|", byField.values()));
    }
}
