package io.metaxy.flink.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.Conformance;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.stream.operator.GroupAssignFunction;
import io.metaxy.flink.stream.operator.IncrementOperator;
import io.metaxy.flink.versioning.IncrementRules;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import io.metaxy.flink.stream.operator.RouteFunction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;

/**
 * Drives an {@link IncrementOperator} in Flink's keyed test harness the way the job does:
 * rows are parsed and routed by the real functions, then fed in order.
 */
final class HarnessDriver implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final StreamPlan plan;
    final RowParser parser;
    final RouteFunction router;
    KeyedOneInputStreamOperatorTestHarness<SampleKey, RoutedEvent, IncrementRecord> harness;
    /** The group assigner in front of the operator, as the job wires it. */
    KeyedOneInputStreamOperatorTestHarness<SampleKey, RoutedEvent, RoutedEvent> assigner;
    private int seenAssigned;
    /** Every event emitted so far, in order. */
    final List<Event> events = new ArrayList<>();
    /** Every accepted write (stamped row), in order. */
    final List<StampedRow> writes = new ArrayList<>();
    private int seenOutputs;
    private long offset;

    record Event(String kind, String feature, String ids, String provenance, JsonNode json, int writesBefore) {}

    final boolean rocksDb;

    /** On the heap state backend: fast, for the property tests. */
    HarnessDriver(StreamPlan plan) throws Exception {
        this(plan, false, null);
    }

    HarnessDriver(StreamPlan plan, boolean rocksDb) throws Exception {
        this(plan, rocksDb, null);
    }

    HarnessDriver(StreamPlan plan, boolean rocksDb, OperatorSubtaskState restore) throws Exception {
        this(plan, rocksDb, restore, null, null);
    }

    /** The operators of a job bootstrapped with seed id {@code seedId} (null: none). */
    HarnessDriver(StreamPlan plan, boolean rocksDb, OperatorSubtaskState restore, OperatorSubtaskState restoreAssigner,
            String seedId) throws Exception {
        this.plan = plan;
        this.rocksDb = rocksDb;
        this.seedId = seedId;
        this.parser = new RowParser(plan, RowParser.DEFAULT_MAX_VALUE_BYTES);
        this.router = new RouteFunction(plan);
        this.harness = newHarness(plan, rocksDb, restore, seedId);
        this.assigner = newAssigner(plan, rocksDb, restoreAssigner);
    }

    private HarnessDriver(StreamPlan plan, boolean rocksDb, OperatorSubtaskState restore, OperatorSubtaskState restoreAssigner)
            throws Exception {
        this(plan, rocksDb, restore, restoreAssigner, null);
    }

    final String seedId;

    private static KeyedOneInputStreamOperatorTestHarness<SampleKey, RoutedEvent, IncrementRecord> newHarness(
            StreamPlan plan, boolean rocksDb, OperatorSubtaskState restore, String seedId) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new IncrementOperator(plan, seedId), RoutedEvent::key, SampleKey.TYPE);
        return started(h, rocksDb, restore);
    }

    private static KeyedOneInputStreamOperatorTestHarness<SampleKey, RoutedEvent, RoutedEvent> newAssigner(
            StreamPlan plan, boolean rocksDb, OperatorSubtaskState restore) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new GroupAssignFunction(plan)),
                RoutedEvent::memberKey, SampleKey.TYPE);
        return started(h, rocksDb, restore);
    }

    private static <O> KeyedOneInputStreamOperatorTestHarness<SampleKey, RoutedEvent, O> started(
            KeyedOneInputStreamOperatorTestHarness<SampleKey, RoutedEvent, O> h, boolean rocksDb,
            OperatorSubtaskState restore) throws Exception {
        if (rocksDb) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    /** Snapshots, closes and restores into an operator of {@code newPlan} (a redeploy), sweeping every key. */
    HarnessDriver redeploy(StreamPlan newPlan) throws Exception {
        return redeploy(newPlan, true);
    }

    /** A redeploy; without {@code sweep} the re-evaluation is left pending, to run chunk by chunk. */
    HarnessDriver redeploy(StreamPlan newPlan, boolean sweep) throws Exception {
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        OperatorSubtaskState assigned = assigner.snapshot(1L, 1L);
        harness.close();
        assigner.close();
        HarnessDriver next = new HarnessDriver(newPlan, rocksDb, snapshot, assigned);
        next.events.addAll(events);
        next.writes.addAll(writes);
        next.offset = offset;
        if (sweep) {
            next.finishSweep();
        }
        return next;
    }

    /**
     * Snapshots both operators and restores them into a job of {@code newPlan} bootstrapped with
     * {@code seedId} (the same id: a resume; another: a redeploy that seeds again). No sweep is run.
     */
    HarnessDriver restart(StreamPlan newPlan, String seedId) throws Exception {
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        OperatorSubtaskState assigned = assigner.snapshot(1L, 1L);
        harness.close();
        assigner.close();
        HarnessDriver next = new HarnessDriver(newPlan, rocksDb, snapshot, assigned, seedId);
        next.events.addAll(events);
        next.writes.addAll(writes);
        next.offset = offset;
        return next;
    }

    /** A row read from the store by the bootstrap: the record a worker wrote, flagged as a seed. */
    List<Event> seed(String feature, Object id, Map<String, String> provenanceByField, Map<String, Object> extra)
            throws Exception {
        Map<String, Object> value = new LinkedHashMap<>(extra);
        value.putAll(columnsOf(feature, id));
        value.put("metaxy_provenance_by_field", provenanceByField);
        RawRecord raw = RawRecord.of(plan.feature(feature).topic, -1, offset++, idsOf(feature, id), JSON.writeValueAsString(value));
        raw.seed = true;
        return deliver(raw);
    }

    /** The seed source's end (its {@code Watermark.MAX}) and the evaluation pass it starts, run to its end. */
    List<Event> endSeeds() throws Exception {
        assigner.processWatermark(Long.MAX_VALUE);
        harness.processWatermark(Long.MAX_VALUE);
        IncrementOperator op = (IncrementOperator) harness.getOperator();
        long now = harness.getProcessingTime();
        while (op.seedPending() || op.sweepPending()) {
            harness.setProcessingTime(++now);
        }
        return collect();
    }

    /** Sends one record to the feature's topic; returns the events it caused. */
    List<Event> send(String feature, String idsJson, String valueJson) throws Exception {
        return deliver(RawRecord.of(plan.feature(feature).topic, 0, offset++, idsJson, valueJson));
    }

    private List<Event> deliver(RawRecord raw) throws Exception {
        StampedRow row = parser.parse(raw);
        writes.add(row);
        List<RoutedEvent> routed = new ArrayList<>();
        router.route(row, routed::add);
        for (RoutedEvent e : routed) {
            if (e.member) {
                assigner.processElement(new StreamRecord<>(e));
                List<RoutedEvent> assigned = assigner.extractOutputValues();
                for (RoutedEvent a : assigned.subList(seenAssigned, assigned.size())) {
                    harness.processElement(new StreamRecord<>(a));
                }
                seenAssigned = assigned.size();
            } else {
                harness.processElement(new StreamRecord<>(e));
            }
        }
        return collect();
    }

    /** A root or write-back row with the given provenance by field (and optional extras). */
    List<Event> write(String feature, Object id, Map<String, String> provenanceByField, Map<String, Object> extra)
            throws Exception {
        Map<String, Object> value = new LinkedHashMap<>(extra);
        value.putAll(columnsOf(feature, id));
        value.put("metaxy_provenance_by_field", provenanceByField);
        return send(feature, idsOf(feature, id), JSON.writeValueAsString(value));
    }

    List<Event> write(String feature, Object id, Map<String, String> provenanceByField) throws Exception {
        return write(feature, id, provenanceByField, Map.of());
    }

    /** The worker's answer to the latest outstanding new/stale event of the sample. */
    List<Event> answer(String feature, Object id) throws Exception {
        Event e = latest(feature, idsOf(feature, id));
        return write(feature, id, byField(e.json.get("metaxy_provenance_by_field")));
    }

    List<Event> hardDelete(String feature, Object id) throws Exception {
        return send(feature, idsOf(feature, id), null);
    }

    List<Event> softDelete(String feature, Object id) throws Exception {
        return send(feature, idsOf(feature, id), "{\"metaxy_deleted_at\":\"2026-01-01T00:00:00Z\"}");
    }

    /**
     * The sample's ids as the feature's key: a test names a row by one id object that may also
     * hold ordinary columns (the {@code on} columns of groups, e.g. a chunk's video_id); only the
     * feature's id columns are its ids.
     */
    String idsOf(String feature, Object id) {
        JsonNode all = BatchOracle.read(ids(id));
        com.fasterxml.jackson.databind.node.ObjectNode out = JSON.createObjectNode();
        for (String column : plan.feature(feature).idColumns) {
            if (all.has(column)) {
                out.set(column, all.get(column));
            }
        }
        return RowParser.canonical(out);
    }

    /** The ordinary columns of a test's id object (see {@link #idsOf}). */
    Map<String, Object> columnsOf(String feature, Object id) {
        Map<String, Object> out = new LinkedHashMap<>();
        BatchOracle.read(ids(id)).fields().forEachRemaining(e -> {
            if (!plan.feature(feature).idColumns.contains(e.getKey())) {
                out.put(e.getKey(), e.getValue().isNumber() ? e.getValue().numberValue() : e.getValue().asText());
            }
        });
        return out;
    }

    /**
     * Runs the redeploy sweep to its end, as the job's mailbox would between records: the sweep
     * is registered as processing-time callbacks, each of which registers the next chunk.
     */
    List<Event> sweepOneChunk() throws Exception {
        harness.setProcessingTime(harness.getProcessingTime() + 1);
        return collect();
    }

    List<Event> finishSweep() throws Exception {
        IncrementOperator op = (IncrementOperator) harness.getOperator();
        long now = harness.getProcessingTime();
        while (op.sweepPending()) {
            harness.setProcessingTime(++now);
        }
        return collect();
    }

    private List<Event> collect() {
        List<IncrementRecord> out = harness.extractOutputValues();
        List<Event> fresh = new ArrayList<>();
        for (int i = seenOutputs; i < out.size(); i++) {
            IncrementRecord r = out.get(i);
            try {
                JsonNode json = JSON.readTree(r.value);
                JsonNode prov = json.get("metaxy_provenance");
                fresh.add(new Event(r.kind, r.feature, r.key, prov == null || prov.isNull() ? null : prov.asText(), json, writes.size()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        seenOutputs = out.size();
        events.addAll(fresh);
        return fresh;
    }

    Event latest(String feature, String ids) {
        for (int i = events.size() - 1; i >= 0; i--) {
            Event e = events.get(i);
            if (e.feature.equals(feature) && e.ids.equals(ids)) {
                return e;
            }
        }
        throw new AssertionError("no event for " + feature + " " + ids);
    }

    /**
     * Outstanding work read off the changelog as a consumer would: per sample the latest event,
     * unless retracted or answered by a later write of the event's feature version (its
     * provenance, or a delete for an orphan). Value: kind + " " + expected provenance.
     */
    Map<String, String> outstanding() {
        Map<String, String> result = new java.util.TreeMap<>();
        Map<String, Integer> latestEvent = new LinkedHashMap<>();
        for (int i = 0; i < events.size(); i++) {
            latestEvent.put(events.get(i).feature + " " + events.get(i).ids, i);
        }
        for (Map.Entry<String, Integer> entry : latestEvent.entrySet()) {
            Event e = events.get(entry.getValue());
            if (e.kind.equals("retracted") || answeredLater(e)) {
                continue;
            }
            result.put(entry.getKey(), e.kind + " " + e.provenance);
        }
        return result;
    }

    private boolean answeredLater(Event e) {
        StreamPlan.Feature f = plan.feature(e.feature);
        String version = e.json.get("feature_version").asText();
        List<StampedRow> later = writes.subList(e.writesBefore, writes.size());
        if (f.expansion) {
            // The worker writes the children one by one: the group is answered once all of them are.
            boolean touched = later.stream().anyMatch(w -> w.feature.equals(e.feature));
            Map<String, StampedRow> rows = BatchOracle.rowsOfVersion(e.feature, version, writes);
            IncrementRules.Recorded recorded = BatchOracle.recorded(f, rows).get(e.ids);
            return touched && (e.kind.equals("orphaned") ? recorded == null
                    : recorded != null && e.provenance.equals(recorded.min()) && e.provenance.equals(recorded.max()));
        }
        for (StampedRow w : later) {
            if (!w.feature.equals(e.feature) || !w.idsJson().equals(e.ids)
                    || w.op != RowOp.HARD_DELETE && !w.featureVersion.equals(version)) {
                continue;
            }
            if (e.kind.equals("orphaned") ? w.op.isDelete() : w.op == RowOp.UPSERT && w.provenance.equals(e.provenance)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() throws Exception {
        harness.close();
        assigner.close();
    }

    /** {@code {"sample_uid":id}}, or {@code id} itself when it already is an ids JSON object. */
    static String ids(Object id) {
        if (id instanceof String s && s.startsWith("{")) {
            return s;
        }
        return id instanceof String s ? "{\"sample_uid\":\"" + s + "\"}" : "{\"sample_uid\":" + id + "}";
    }

    static Map<String, String> byField(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    static FeatureGraph overview(int state) {
        for (JsonNode c : Conformance.cases("definition-versions.json")) {
            if (c.get("name").asText().equals("example-overview state " + state)) {
                return GraphReader.fromTree(c.get("graph"));
            }
        }
        throw new AssertionError("no overview state " + state);
    }
}
