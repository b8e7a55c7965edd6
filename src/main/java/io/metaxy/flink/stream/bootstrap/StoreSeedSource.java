package io.metaxy.flink.stream.bootstrap;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.stream.RawRecord;
import io.metaxy.flink.stream.StoreSink;
import io.metaxy.flink.stream.StreamPlan;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.util.function.SerializableSupplier;

/**
 * A bounded source of a metadata store's current rows, for {@code run --bootstrap-from-store}:
 * one split per feature of the graph, each read with {@code MetadataStore.read} (the latest row
 * per sample of the current feature version, soft-deleted samples hidden: what batch
 * {@code resolveUpdate} counts) and emitted as the record a worker would have written to the
 * feature's topic (docs/protocol.md), flagged {@link RawRecord#seed}. The job applies a seed to a
 * state slot only while the slot is empty, never stores it again, and evaluates every key once
 * the source has ended ({@code IncrementOperator}).
 *
 * <pre>{@code
 * StoreSeedSource seeds = StoreSeedSource.withGraphText("duckdb:metaxy-data/metaxy.duckdb", plan, graphYaml);
 * new IncrementJob(plan, kafka.source(), incrementSink, deadLetterSink, storeSink).bootstrap(seeds).build(env);
 * }</pre>
 *
 * <p>Its uid is {@link #uid(StreamPlan)}, a hash of what must be seeded (the features and their
 * deps): a finished bounded source stays finished when the job resumes, so an unchanged graph does
 * not read the store again, while a redeploy that adds a feature or a dep gets a new uid and seeds
 * again (harmless: seeds never overwrite).
 */
public final class StoreSeedSource implements Source<RawRecord, FeatureSplit, List<FeatureSplit>> {
    private static final long serialVersionUID = 1L;
    public static final String UID_PREFIX = "metaxy-seed-";

    private final String url;
    private final StreamPlan plan;
    private final SerializableSupplier<FeatureGraph> graph;

    public StoreSeedSource(String url, StreamPlan plan, SerializableSupplier<FeatureGraph> graph) {
        this.url = Objects.requireNonNull(url, "url");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.graph = Objects.requireNonNull(graph, "graph");
    }

    /** A source whose graph is {@code graphText} (YAML or a Metaxy snapshot), shipped with the job. */
    public static StoreSeedSource withGraphText(String url, StreamPlan plan, String graphText) {
        return new StoreSeedSource(url, plan, new StoreSink.GraphText(graphText));
    }

    /**
     * {@code metaxy-seed-} and 16 hex digits of SHA-256 over every feature key with its parents,
     * in key order: equal for graphs that need the same seeds.
     */
    public static String uid(StreamPlan plan) {
        TreeSet<String> edges = new TreeSet<>();
        for (StreamPlan.Feature f : plan.features()) {
            List<String> parents = new ArrayList<>();
            f.deps.forEach(d -> parents.add(d.parent));
            edges.add(f.key + "<-" + String.join(",", new TreeSet<>(parents)));
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] hash = digest.digest(String.join("\n", edges).getBytes(StandardCharsets.UTF_8));
            return UID_PREFIX + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String url() {
        return url;
    }

    StreamPlan plan() {
        return plan;
    }

    FeatureGraph graph() {
        return graph.get();
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.BOUNDED;
    }

    @Override
    public SplitEnumerator<FeatureSplit, List<FeatureSplit>> createEnumerator(SplitEnumeratorContext<FeatureSplit> context) {
        List<FeatureSplit> splits = new ArrayList<>();
        plan.features().forEach(f -> splits.add(new FeatureSplit(f.key)));
        return new SeedEnumerator(context, splits);
    }

    @Override
    public SplitEnumerator<FeatureSplit, List<FeatureSplit>> restoreEnumerator(SplitEnumeratorContext<FeatureSplit> context,
            List<FeatureSplit> checkpoint) {
        return new SeedEnumerator(context, checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<FeatureSplit> getSplitSerializer() {
        return FeatureSplit.Serializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<List<FeatureSplit>> getEnumeratorCheckpointSerializer() {
        return FeatureSplit.ListSerializer.INSTANCE;
    }

    @Override
    public SourceReader<RawRecord, FeatureSplit> createReader(SourceReaderContext context) {
        return new SeedReader(context, this, System.err);
    }
}
