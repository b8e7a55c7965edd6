package io.metaxy.flink.stream;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.util.function.SerializableSupplier;

/**
 * Appends every stamped row the job sees to a {@link MetadataStore} (design §5, "store sink").
 * The writer opens the store from its URL ({@code duckdb:PATH}, {@code postgresql://…}) in
 * WRITE mode and appends rows in arrival order (DuckDB appender / PostgreSQL COPY, handed to the
 * database every {@code batchSize} rows) inside one transaction per checkpoint, committed with a
 * ledger of the source positions it covers; see {@link StoreSinkWriter} for how each kind of row
 * is applied, how replays stay exactly-once and how timestamps are chosen. The system property
 * {@code metaxy.sink.legacy=true} selects the previous path (buffered {@code store.write} with
 * replay checks by materialization id), for comparisons.
 *
 * <p>Run it with parallelism 1 ({@link IncrementJob} does): DuckDB is single-writer, and one
 * writer keeps every sample's rows in arrival order.
 *
 * <pre>{@code
 * StoreSink sink = StoreSink.withGraphText("duckdb:metaxy-data/metaxy.duckdb", plan, Files.readString(Path.of("graph.yaml")));
 * new IncrementJob(plan, source, incrementSink, deadLetterSink, sink).build(env);
 * }</pre>
 *
 * The graph comes from a serializable supplier because a {@link FeatureGraph} is not serializable.
 * On a cluster the supplier runs on a TaskManager, which cannot read the client's files: give the
 * graph's text ({@link #withGraphText}), which travels with the job and is parsed when the writer
 * opens.
 */
public final class StoreSink implements Sink<StampedRow>, SupportsWriterState<StampedRow, StoreSinkState> {
    private static final long serialVersionUID = 1L;
    public static final int DEFAULT_BATCH_SIZE = 10_000;
    /** The sink's key in the store's ledger table ({@code metaxy_sink_ledger}): the sink's uid. */
    public static final String DEFAULT_SINK_ID = IncrementJob.UID_STORE_SINK;

    private final String url;
    private final StreamPlan plan;
    private final SerializableSupplier<FeatureGraph> graph;
    private final int batchSize;

    public StoreSink(String url, StreamPlan plan, SerializableSupplier<FeatureGraph> graph) {
        this(url, plan, graph, DEFAULT_BATCH_SIZE);
    }

    public StoreSink(String url, StreamPlan plan, SerializableSupplier<FeatureGraph> graph, int batchSize) {
        this.url = Objects.requireNonNull(url, "url");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.graph = Objects.requireNonNull(graph, "graph");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive");
        }
        this.batchSize = batchSize;
    }

    /** A sink whose graph is {@code graphText} (YAML or a Metaxy snapshot JSON), shipped with the job. */
    public static StoreSink withGraphText(String url, StreamPlan plan, String graphText) {
        return new StoreSink(url, plan, new GraphText(graphText));
    }

    public String url() {
        return url;
    }

    @Override
    public StatefulSinkWriter<StampedRow, StoreSinkState> createWriter(WriterInitContext context) {
        return restoreWriter(context, List.of());
    }

    /** The writer, first writing what the checkpoint carried (rows a barrier could not commit). */
    @Override
    public StatefulSinkWriter<StampedRow, StoreSinkState> restoreWriter(WriterInitContext context,
            Collection<StoreSinkState> recoveredState) {
        StoreSinkWriter writer = open(context);
        writer.restore(recoveredState);
        return writer;
    }

    @Override
    public SimpleVersionedSerializer<StoreSinkState> getWriterStateSerializer() {
        return StoreSinkState.SERIALIZER;
    }

    private StoreSinkWriter open(WriterInitContext context) {
        // The plan's hasher: the store computes provenance and feature versions as the job does.
        MetadataStore store = MetadataStores.open(url, graph.get(), AccessMode.WRITE, plan.hasher());
        return new StoreSinkWriter(store, plan, batchSize, context.metricGroup(), DEFAULT_SINK_ID,
                context.getTaskInfo().getIndexOfThisSubtask(), Boolean.getBoolean("metaxy.sink.legacy"));
    }

    /** The graph's text, parsed where the writer opens (on the TaskManager). */
    public static final class GraphText implements SerializableSupplier<FeatureGraph> {
        private static final long serialVersionUID = 1L;
        private final String text;

        public GraphText(String text) {
            this.text = Objects.requireNonNull(text, "graphText");
        }

        @Override
        public FeatureGraph get() {
            return GraphReader.parse(text);
        }
    }
}
