package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FieldSpec;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.stream.HarnessDriver.Event;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Differential test: random interleavings of root writes, worker write-backs (right and wrong),
 * deletes and updates over a four-level graph with an optional dep and a data version override.
 * After every step the stream's outstanding increments equal a batch resolve over the same rows.
 */
class IncrementDifferentialProperties {
    static final StreamPlan PLAN = StreamPlan.of(graph());
    static final List<String> WORKERS = List.of("example/crop", "example/face_detection", "example/stt", "example/summary");

    static FeatureGraph graph() {
        return HarnessDriver.overview(1).with(FeatureSpec.builder("example/summary")
                .dep(FeatureDep.on("example/stt").build())
                .dep(FeatureDep.on("example/face_detection").optional(true).build())
                .field(FieldSpec.of("text", "1"))
                .build());
    }

    @Property(tries = 300)
    void outstandingIncrementsEqualBatchResolve(
            @ForAll @Size(max = 60) List<@IntRange(min = 0, max = 1_000_000) Integer> steps) throws Exception {
        try (HarnessDriver d = new HarnessDriver(PLAN)) {
            for (int n : steps) {
                apply(d, n);
                assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(PLAN, d.writes));
            }
        }
    }

    /** One random step on the driver; true asks for a redeploy to the other definitions instead. */
    interface Step {
        boolean apply(HarnessDriver d, int n) throws Exception;
    }

    /**
     * Runs {@code steps} on a job started under {@code deploys[0]}, redeploying (snapshot and
     * restore) to the other definitions when a step asks, and checks after every step that the
     * outstanding increments equal a batch resolve under the definitions running then.
     */
    static void checkAgainstBatch(StreamPlan[] deploys, List<Integer> steps, Step step) throws Exception {
        HarnessDriver d = new HarnessDriver(deploys[0]);
        try {
            int active = 0;
            for (int n : steps) {
                if (step.apply(d, n)) {
                    active = 1 - active;
                    d = d.redeploy(deploys[active]);
                }
                assertThat(d.outstanding()).as("after step %d, running definitions %d", n, active)
                        .isEqualTo(BatchOracle.resolveAll(deploys[active], d.writes));
            }
        } finally {
            d.close();
        }
    }

    static final StreamPlan[] SPEAKERS = {StreamPlan.of(IncrementOperatorTest.speakers()),
            StreamPlan.of(withCodeVersion(IncrementOperatorTest.speakers(), "t/utterance", "audio", "2"))};

    /**
     * The same contract through an N:1 aggregation and a 1:1 child of it, with redeploys back and
     * forth between two versions of the members' feature (group keys then hold only members of
     * the version that is not current, until a rollback makes them count again).
     */
    @Property(tries = 200)
    void aggregationOutstandingIncrementsEqualBatchResolve(
            @ForAll @Size(max = 50) List<@IntRange(min = 0, max = 1_000_000) Integer> steps) throws Exception {
        checkAgainstBatch(SPEAKERS, steps, (d, n) -> {
            int speaker = n % 2 + 1;
            int utt = (n / 2) % 3 + 1;
            int variant = (n / 6) % 3;
            String worker = (n / 18) % 2 == 0 ? "t/speaker" : "t/report";
            String group = "{\"speaker_id\":" + speaker + "}";
            switch ((n / 36) % 6) {
                case 0, 1 -> d.write("t/utterance", IncrementOperatorTest.utt(speaker, utt * (variant == 2 ? 10 : 1)),
                        Map.of("audio", "a" + variant));
                case 2 -> d.hardDelete("t/utterance", IncrementOperatorTest.utt(speaker, utt));
                case 3 -> answer(d, worker, group, variant);
                case 4 -> {
                    if (variant == 0) {
                        d.hardDelete(worker, group);
                    } else {
                        d.write(worker, group, Map.of(worker.equals("t/speaker") ? "embedding" : "summary", "w" + variant));
                    }
                }
                default -> {
                    return true;
                }
            }
            return false;
        });
    }

    static final StreamPlan[] CLIPS = {StreamPlan.of(IncrementOperatorTest.clips()),
            StreamPlan.of(withCodeVersion(IncrementOperatorTest.clips(), "t/clips", "clip", "2"))};

    /**
     * The same contract through a 1:N expansion (increments per parent) and a 1:1 child of it,
     * with redeploys back and forth between two versions of the expanded feature.
     */
    @Property(tries = 200)
    void expansionOutstandingIncrementsEqualBatchResolve(
            @ForAll @Size(max = 50) List<@IntRange(min = 0, max = 1_000_000) Integer> steps) throws Exception {
        checkAgainstBatch(CLIPS, steps, (d, n) -> {
            int video = n % 2 + 1;
            int clip = (n / 2) % 3 + 1;
            int variant = (n / 6) % 3;
            String parent = "{\"video_id\":" + video + "}";
            String child = IncrementOperatorTest.clip(video, clip);
            switch ((n / 18) % 7) {
                case 0 -> d.write("t/video", parent, Map.of("frames", "f" + variant));
                case 1 -> d.hardDelete("t/video", parent);
                case 2 -> {
                    // A worker writing one child of the parent's latest announcement (or a wrong one).
                    Event latest = d.events.stream().filter(e -> e.feature().equals("t/clips") && e.ids().equals(parent))
                            .reduce((a, b) -> b).orElse(null);
                    if (variant > 0 && latest != null && !latest.json().get("metaxy_provenance_by_field").isNull()) {
                        d.write("t/clips", child, HarnessDriver.byField(latest.json().get("metaxy_provenance_by_field")));
                    } else {
                        d.write("t/clips", child, Map.of("clip", "w" + variant));
                    }
                }
                case 3 -> {
                    if (variant == 0) {
                        d.softDelete("t/clips", child);
                    } else {
                        d.hardDelete("t/clips", child);
                    }
                }
                case 4 -> answer(d, "t/caption", child, variant);
                case 5 -> d.write("t/caption", child, Map.of("text", "w" + variant));
                default -> {
                    return true;
                }
            }
            return false;
        });
    }

    /** Definitions B: video's audio code changed, which changes video, crop, stt and summary but not face_detection. */
    static final StreamPlan[] DEPLOYS = {PLAN, StreamPlan.of(withCodeVersion(graph(), "example/video", "audio", "2"))};

    /**
     * Redeploys between two definitions, with workers on either code writing rows of either
     * feature version at any time (a rolling deploy writes the next version's rows before the
     * job is redeployed; a rollback returns to the previous one). After every step, also right
     * after a redeploy, the outstanding increments equal a batch resolve under the definitions
     * the job runs now.
     */
    @Property(tries = 200)
    void redeploysConvergeToBatchResolveUnderTheNewDefinitions(
            @ForAll @Size(max = 60) List<@IntRange(min = 0, max = 1_000_000) Integer> steps) throws Exception {
        checkAgainstBatch(DEPLOYS, steps, (d, n) -> {
            int id = (n / 8) % 3 + 1;
            StreamPlan as = DEPLOYS[(n / 24) % 2];
            int variant = (n / 48) % 3;
            String worker = WORKERS.get((n / 144) % WORKERS.size());
            String video = "example/video";
            switch (n % 8) {
                case 0, 1 -> d.write(video, id, Map.of("audio", "a" + (variant & 1), "frames", "f" + (variant >> 1)),
                        Map.of("metaxy_feature_version", as.feature(video).featureVersion));
                case 2 -> deleteAs(d, as, video, id, variant);
                case 3, 4 -> {
                    // A worker running the code of 'as' answers what that code expects.
                    String[] expected = BatchOracle.expectedByField(as, BatchOracle.currentRows(as, d.writes))
                            .get(worker + " " + HarnessDriver.ids(id));
                    if (expected != null) {
                        Map<String, Object> extra = new LinkedHashMap<>();
                        extra.put("metaxy_feature_version", as.feature(worker).featureVersion);
                        if (worker.equals("example/crop") && variant == 2) {
                            extra.put("metaxy_data_version_by_field", Map.of("audio", "content-a", "frames", "content-f"));
                        }
                        d.write(worker, id, byField(as.feature(worker), expected), extra);
                    }
                }
                case 5 -> deleteAs(d, as, worker, id, variant);
                case 6 -> {
                    Map<String, String> bogus = new LinkedHashMap<>();
                    as.feature(worker).fields.forEach(f -> bogus.put(f, "w" + variant));
                    d.write(worker, id, bogus, Map.of("metaxy_feature_version", as.feature(worker).featureVersion));
                }
                default -> {
                    return true;
                }
            }
            return false;
        });
    }

    private static void deleteAs(HarnessDriver d, StreamPlan as, String feature, int id, int variant) throws Exception {
        if (variant == 0) {
            d.hardDelete(feature, id);
        } else {
            d.send(feature, HarnessDriver.ids(id), "{\"metaxy_deleted_at\":\"2026-01-01T00:00:00Z\",\"metaxy_feature_version\":\""
                    + as.feature(feature).featureVersion + "\"}");
        }
    }

    private static Map<String, String> byField(StreamPlan.Feature f, String[] values) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            out.put(f.fields.get(i), values[i]);
        }
        return out;
    }

    static FeatureGraph withCodeVersion(FeatureGraph graph, String feature, String field, String codeVersion) {
        FeatureSpec spec = graph.spec(feature);
        FeatureSpec.Builder b = FeatureSpec.builder(spec.key()).idColumns(spec.idColumns());
        spec.deps().forEach(b::dep);
        spec.fields().forEach(f -> b.field(f.key().toString().equals(field) ? f.withCodeVersion(codeVersion) : f));
        return graph.with(b.build());
    }

    /** The soak variant: many more and longer interleavings ({@code mvn test -DexcludedTestGroups= -Dgroups=slow}). */
    @Property(tries = 5000)
    @Tag("slow")
    void outstandingIncrementsEqualBatchResolveSoak(
            @ForAll @Size(max = 300) List<@IntRange(min = 0, max = 1_000_000) Integer> steps) throws Exception {
        outstandingIncrementsEqualBatchResolve(steps);
    }

    private static void apply(HarnessDriver d, int n) throws Exception {
        int op = n % 7;
        int id = (n / 7) % 3 + 1;
        int variant = (n / 21) % 4;
        String worker = WORKERS.get((n / 84) % WORKERS.size());
        switch (op) {
            case 0, 1 -> d.write("example/video", id,
                    Map.of("audio", "a" + (variant & 1), "frames", "f" + (variant >> 1)), Map.of("path", "v" + id));
            case 2 -> {
                if (variant == 0) {
                    d.softDelete("example/video", id);
                } else {
                    d.hardDelete("example/video", id);
                }
            }
            case 3, 4 -> answer(d, worker, id, variant);
            case 5 -> {
                if (variant < 2) {
                    d.hardDelete(worker, id);
                } else {
                    d.softDelete(worker, id);
                }
            }
            default -> {
                // A write-back nobody asked for, or one answering stale data.
                Map<String, String> byField = new LinkedHashMap<>();
                PLAN.feature(worker).fields.forEach(f -> byField.put(f, "w" + variant));
                d.write(worker, id, byField);
            }
        }
    }

    /** Answers the worker's latest announcement, sometimes with a data version override on crop. */
    private static void answer(HarnessDriver d, String worker, Object id, int variant) throws Exception {
        String ids = d.idsOf(worker, id);
        Event latest = d.events.stream().filter(e -> e.feature().equals(worker) && e.ids().equals(ids))
                .reduce((a, b) -> b).orElse(null);
        if (latest == null || latest.json().get("metaxy_provenance_by_field").isNull()) {
            return;
        }
        Map<String, String> byField = HarnessDriver.byField(latest.json().get("metaxy_provenance_by_field"));
        Map<String, Object> extra = new LinkedHashMap<>();
        if (worker.equals("example/crop") && variant >= 2) {
            extra.put("metaxy_data_version_by_field", Map.of("audio", "content-a", "frames", "content-f" + (variant & 1)));
        }
        d.write(worker, id, byField, extra);
    }
}
