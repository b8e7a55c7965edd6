package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldSpec;
import io.metaxy.flink.definitions.Lineage;
import io.metaxy.flink.stream.HarnessDriver.Event;
import io.metaxy.flink.stream.operator.IncrementOperator;
import org.apache.flink.runtime.state.VoidNamespace;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The increment semantics of design §4–5 on the overview graph, in Flink's keyed test harness
 * with RocksDB state; redeploys go through a real snapshot and restore.
 */
class IncrementOperatorTest {
    static final String VIDEO = "example/video";
    static final String CROP = "example/crop";
    static final String FACES = "example/face_detection";
    static final String STT = "example/stt";

    HarnessDriver d;

    @AfterEach
    void close() throws Exception {
        if (d != null) {
            d.close();
        }
    }

    static Map<String, String> video(String audio, String frames) {
        return Map.of("audio", audio, "frames", frames);
    }

    static List<String> kinds(List<Event> events) {
        return events.stream().map(e -> e.feature() + ":" + e.kind()).toList();
    }

    /** Video s1 written and every feature answered: the quiet state. */
    void quiet(Object id) throws Exception {
        d.write(VIDEO, id, video("a1", "f1"), Map.of("path", "v" + id + ".mp4"));
        d.answer(CROP, id);
        d.answer(STT, id);
        d.answer(FACES, id);
        assertThat(d.outstanding()).isEmpty();
    }

    @Test
    void newThenWrittenThenQuiet() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        List<Event> first = d.write(VIDEO, 1, video("a1", "f1"), Map.of("path", "v1.mp4"));
        assertThat(kinds(first)).containsExactly(CROP + ":new", STT + ":new");
        Event crop = first.get(0);
        assertThat(crop.json().get("feature_version").asText()).isEqualTo("34d75856");
        assertThat(crop.json().get("upstream").get("path").asText()).isEqualTo("v1.mp4");
        assertThat(crop.json().get("cause").get("topic").asText()).isEqualTo("metaxy.example__video");
        assertThat(crop.json().get("ids").get("sample_uid").asInt()).isEqualTo(1);

        assertThat(kinds(d.answer(CROP, 1))).containsExactly(FACES + ":new");
        assertThat(d.answer(STT, 1)).isEmpty();
        assertThat(d.answer(FACES, 1)).isEmpty();
        assertThat(d.outstanding()).isEmpty();
        assertThat(d.write(VIDEO, 1, video("a1", "f1"), Map.of("path", "v1.mp4"))).isEmpty();
        assertThat(d.answer(CROP, 1)).as("rewriting the same answer").isEmpty();
    }

    @Test
    void eachExpectedProvenanceIsAnnouncedOnce() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        d.write(VIDEO, 1, video("a1", "f1"));
        assertThat(d.write(VIDEO, 1, video("a1", "f1"))).isEmpty();
        assertThat(kinds(d.write(VIDEO, 1, video("a2", "f1")))).containsExactly(CROP + ":new", STT + ":new");
        assertThat(d.outstanding()).hasSize(2);
    }

    @Test
    void audioOnlyChangeReachesCropAndSttButNotFaceDetection() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        quiet(1);
        assertThat(kinds(d.write(VIDEO, 1, video("a2", "f1")))).containsExactly(CROP + ":stale", STT + ":stale");
        Event stale = d.latest(CROP, HarnessDriver.ids(1));
        assertThat(stale.json().get("recorded_metaxy_provenance").asText()).isNotEqualTo(stale.provenance());
        // crop's frames data version is unchanged, so face_detection's expectation holds.
        assertThat(d.answer(CROP, 1)).isEmpty();
        assertThat(d.answer(STT, 1)).isEmpty();
        assertThat(d.outstanding()).isEmpty();
        assertThat(d.events).noneMatch(e -> e.feature().equals(FACES) && !e.kind().equals("new"));
    }

    @Test
    void codeVersionBumpMakesEverySampleNew() throws Exception {
        FeatureGraph v1 = HarnessDriver.overview(1);
        d = new HarnessDriver(StreamPlan.of(v1), true);
        quiet(1);
        quiet(2);
        FeatureSpec stt = v1.spec(STT);
        FeatureGraph v2 = v1.with(rebuildWithCode(stt, "2"));
        int before = d.events.size();
        d = d.redeploy(StreamPlan.of(v2));
        List<Event> redeploy = d.events.subList(before, d.events.size());
        assertThat(kinds(redeploy)).containsExactlyInAnyOrder(STT + ":new", STT + ":new");
        assertThat(redeploy.get(0).json().get("cause").has("redeploy")).isTrue();
        d.answer(STT, 1);
        d.answer(STT, 2);
        assertThat(d.outstanding()).isEmpty();
    }

    private static FeatureSpec rebuildWithCode(FeatureSpec spec, String codeVersion) {
        FeatureSpec.Builder b = FeatureSpec.builder(spec.key()).idColumns(spec.idColumns());
        spec.deps().forEach(b::dep);
        spec.fields().forEach(f -> b.field(f.withCodeVersion(codeVersion)));
        return b.build();
    }

    @Test
    void overviewStateTwoTouchesCropAndSttButNeverAsksFaceDetectionForWork() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        quiet(1);
        int before = d.events.size();
        d = d.redeploy(StreamPlan.of(HarnessDriver.overview(2)));
        // video's version changed: its old rows are not current until re-ingested.
        d.write(VIDEO, 1, video("a1-v2", "f1"));
        assertThat(d.outstanding()).containsOnlyKeys(CROP + " " + HarnessDriver.ids(1), STT + " " + HarnessDriver.ids(1),
                FACES + " " + HarnessDriver.ids(1));
        assertThat(d.outstanding().get(CROP + " " + HarnessDriver.ids(1))).startsWith("new");
        assertThat(d.outstanding().get(STT + " " + HarnessDriver.ids(1))).startsWith("new");
        d.answer(CROP, 1);
        d.answer(STT, 1);
        assertThat(d.outstanding()).isEmpty();
        List<Event> after = d.events.subList(before, d.events.size());
        assertThat(after).noneMatch(e -> e.feature().equals(FACES) && (e.kind().equals("new") || e.kind().equals("stale")));
    }

    @Test
    void hardDeleteOrphansChildrenAndDeletingTheOrphanAnswersIt() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        quiet(1);
        assertThat(kinds(d.hardDelete(VIDEO, 1))).containsExactly(CROP + ":orphaned", STT + ":orphaned");
        assertThat(d.latest(CROP, HarnessDriver.ids(1)).json().get("metaxy_provenance").isNull()).isTrue();
        assertThat(kinds(d.hardDelete(CROP, 1))).containsExactly(FACES + ":orphaned");
        d.hardDelete(STT, 1);
        d.hardDelete(FACES, 1);
        assertThat(d.outstanding()).isEmpty();
    }

    @Test
    void softDeleteOrphansAndAnUnchangedReturnRetracts() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        quiet(1);
        assertThat(kinds(d.softDelete(VIDEO, 1))).containsExactly(CROP + ":orphaned", STT + ":orphaned");
        assertThat(kinds(d.write(VIDEO, 1, video("a1", "f1")))).containsExactly(CROP + ":retracted", STT + ":retracted");
        assertThat(d.outstanding()).isEmpty();
    }

    @Test
    void newWhoseParentVanishesIsRetracted() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        d.write(VIDEO, 1, video("a1", "f1"));
        List<Event> gone = d.hardDelete(VIDEO, 1);
        assertThat(kinds(gone)).containsExactly(CROP + ":retracted", STT + ":retracted");
        assertThat(gone.get(0).json().get("retracts").asText()).isEqualTo("new");
        assertThat(d.outstanding()).isEmpty();
    }

    @Test
    void staleThatIsCurrentAgainIsRetracted() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        quiet(1);
        d.write(VIDEO, 1, video("a2", "f1"));
        assertThat(kinds(d.write(VIDEO, 1, video("a1", "f1")))).containsExactly(CROP + ":retracted", STT + ":retracted");
        assertThat(d.outstanding()).isEmpty();
    }

    @Test
    void optionalParentMissingContributesEmptyString() throws Exception {
        FeatureGraph graph = FeatureGraph.of(List.of(
                FeatureSpec.builder("t/a").field(FieldSpec.of("x")).build(),
                FeatureSpec.builder("t/b").field(FieldSpec.of("y")).build(),
                FeatureSpec.builder("t/c")
                        .dep(FeatureDep.on("t/a").build())
                        .dep(FeatureDep.on("t/b").optional(true).build())
                        .field(FieldSpec.of("z")).build()));
        StreamPlan plan = StreamPlan.of(graph);
        d = new HarnessDriver(plan, true);
        List<Event> onlyA = d.write("t/a", 1, Map.of("x", "x1"));
        assertThat(kinds(onlyA)).containsExactly("t/c:new");
        String expected = plan.feature("t/c").calculator.provenanceByField(new String[] {"x1", null})[0];
        assertThat(onlyA.get(0).json().get("metaxy_provenance_by_field").get("z").asText()).isEqualTo(expected);
        assertThat(d.write("t/b", 1, Map.of("y", "y1"))).extracting(Event::kind).containsExactly("new");
        assertThat(d.write("t/b", 2, Map.of("y", "y1"))).as("b alone is not enough: a is required").isEmpty();
    }

    @Test
    void dataVersionOverrideStopsPropagation() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        d.write(VIDEO, 1, video("a1", "f1"));
        Event crop = d.latest(CROP, HarnessDriver.ids(1));
        d.write(CROP, 1, HarnessDriver.byField(crop.json().get("metaxy_provenance_by_field")),
                Map.of("metaxy_data_version_by_field", Map.of("audio", "ca", "frames", "content-hash")));
        d.answer(FACES, 1);
        d.answer(STT, 1);
        assertThat(d.outstanding()).isEmpty();
        assertThat(kinds(d.write(VIDEO, 1, video("a1", "f2")))).containsExactly(CROP + ":stale");
        crop = d.latest(CROP, HarnessDriver.ids(1));
        // The recomputed frames hash to the same content: face_detection needs nothing.
        assertThat(d.write(CROP, 1, HarnessDriver.byField(crop.json().get("metaxy_provenance_by_field")),
                Map.of("metaxy_data_version_by_field", Map.of("audio", "ca", "frames", "content-hash")))).isEmpty();
        assertThat(d.outstanding()).isEmpty();
    }

    @Test
    void rowsOfAnOlderFeatureVersionAreNotCurrent() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        assertThat(d.write(VIDEO, 1, video("a1", "f1"), Map.of("metaxy_feature_version", "00000000"))).isEmpty();
        d.write(VIDEO, 1, video("a1", "f1"));
        assertThat(kinds(d.write(CROP, 1, Map.of("audio", "x", "frames", "y"), Map.of("metaxy_feature_version", "00000000"))))
                .as("an old-version write does not answer").isEmpty();
        assertThat(d.outstanding()).hasSize(2);
    }

    @Test
    void snapshotAndRestoreKeepState() throws Exception {
        d = new HarnessDriver(StreamPlan.of(HarnessDriver.overview(1)), true);
        d.write(VIDEO, 1, video("a1", "f1"));
        d.answer(CROP, 1);
        d = d.redeploy(d.plan);
        assertThat(d.events).hasSize(3);
        assertThat(kinds(d.answer(CROP, 1))).isEmpty();
        assertThat(kinds(d.write(VIDEO, 1, video("a2", "f1")))).containsExactly(CROP + ":stale", STT + ":new");
    }

    @Test
    void keysWhoseFeatureLeftTheGraphAreDropped() throws Exception {
        FeatureGraph v1 = HarnessDriver.overview(1);
        d = new HarnessDriver(StreamPlan.of(v1), true);
        d.write(VIDEO, 1, video("a1", "f1"));
        FeatureGraph smaller = FeatureGraph.of(v1.features().stream()
                .filter(s -> !s.key().equals(FeatureKey.of(STT))).toList());
        int before = d.events.size();
        d = d.redeploy(StreamPlan.of(smaller));
        // What stt announced no longer holds: withdrawn on its increments topic.
        assertThat(kinds(d.events.subList(before, d.events.size()))).containsExactly(STT + ":retracted");
        assertThat(d.harness.extractOutputValues()).last().extracting(r -> r.topic).isEqualTo("metaxy.example__stt.increments");
        IncrementOperator operator = (IncrementOperator) d.harness.getOperator();
        try (var keys = operator.getKeyedStateBackend().getKeys(IncrementOperator.SAMPLE_STATE_NAME, VoidNamespace.INSTANCE)) {
            assertThat(keys.map(String::valueOf)).containsExactly(new SampleKey(CROP, HarnessDriver.ids(1)).toString());
        }
    }

    static final String SUMMARY = "example/summary";

    static FeatureGraph withSummaryDeps(FeatureDep... deps) {
        FeatureSpec.Builder b = FeatureSpec.builder(SUMMARY).field(FieldSpec.of("text", "1"));
        for (FeatureDep dep : deps) {
            b.dep(dep);
        }
        return IncrementDifferentialProperties.graph().with(b.build());
    }

    @Test
    void redeploysWithReorderedRemovedOrNoLongerOptionalDepsKeepEachParentsRows() throws Exception {
        FeatureDep stt = FeatureDep.on(STT).build();
        FeatureDep faces = FeatureDep.on(FACES).optional(true).build();
        d = new HarnessDriver(StreamPlan.of(withSummaryDeps(stt, faces)), true);
        for (int id = 1; id <= 2; id++) {
            d.write(VIDEO, id, video("a1", "f1"));
            d.answer(CROP, id);
            d.answer(STT, id);
            if (id == 1) {
                d.answer(FACES, id);
            }
            d.answer(SUMMARY, id);
        }
        assertThat(d.outstanding()).containsOnlyKeys(FACES + " " + HarnessDriver.ids(2));

        // Reordered deps change no version, but the slots must follow their parents.
        int before = d.events.size();
        d = d.redeploy(StreamPlan.of(withSummaryDeps(faces, stt)));
        assertThat(d.events.subList(before, d.events.size())).isEmpty();
        d.write(VIDEO, 1, video("a2", "f1"));
        d.answer(STT, 1);
        assertThat(kinds(d.events.subList(d.events.size() - 1, d.events.size()))).containsExactly(SUMMARY + ":stale");
        assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(d.plan, d.writes));

        // face_detection no longer optional: sample 2 lacks it, so its summary is orphaned; versions are unchanged.
        d = d.redeploy(StreamPlan.of(withSummaryDeps(stt, faces.toBuilder().optional(false).build())));
        assertThat(d.outstanding()).containsEntry(SUMMARY + " " + HarnessDriver.ids(2), "orphaned null")
                .isEqualTo(BatchOracle.resolveAll(d.plan, d.writes));

        // Removing a dep changes summary's version: every sample is new, computed from stt alone.
        d = d.redeploy(StreamPlan.of(withSummaryDeps(stt)));
        assertThat(d.outstanding()).containsEntry(SUMMARY + " " + HarnessDriver.ids(1),
                BatchOracle.resolveAll(d.plan, d.writes).get(SUMMARY + " " + HarnessDriver.ids(1)))
                .isEqualTo(BatchOracle.resolveAll(d.plan, d.writes));
        assertThat(d.outstanding().get(SUMMARY + " " + HarnessDriver.ids(1))).startsWith("new ");
    }

    @Test
    void anIncrementTooLargeForTheBrokerGoesOutWithoutItsUpstreamColumns() throws Exception {
        List<FeatureSpec> specs = new java.util.ArrayList<>();
        FeatureSpec.Builder child = FeatureSpec.builder("t/all").field(FieldSpec.of("y"));
        for (int i = 1; i <= 4; i++) {
            specs.add(FeatureSpec.builder("t/p" + i).field(FieldSpec.of("x")).build());
            child.dep(FeatureDep.on("t/p" + i).rename(Map.of("blob", "blob" + i)).build());
        }
        specs.add(child.build());
        d = new HarnessDriver(StreamPlan.of(FeatureGraph.of(specs)));
        String blob = "b".repeat(250_000);
        for (int i = 1; i <= 3; i++) {
            d.write("t/p" + i, 1, Map.of("x", "x" + i), Map.of("blob", blob));
        }
        Event small = d.write("t/p4", 1, Map.of("x", "x4"), Map.of("blob", "small")).get(0);
        assertThat(small.json().get("upstream").get("blob1").asText()).hasSize(250_000);
        assertThat(small.json().has("upstream_omitted")).isFalse();
        Event large = d.write("t/p4", 1, Map.of("x", "x4b"), Map.of("blob", blob)).get(0);
        assertThat(large.json().get("upstream").isEmpty()).isTrue();
        assertThat(large.json().get("upstream_omitted").asBoolean()).isTrue();
        assertThat(large.json().toString().length()).isLessThan(IncrementOperator.MAX_INCREMENT_BYTES);
        assertThat(large.provenance()).isEqualTo(BatchOracle.resolveAll(d.plan, d.writes).get("t/all " + HarnessDriver.ids(1))
                .substring("new ".length()));
    }

    @Test
    void aRenameOrSelectChangeKeepsTheParentsRowsAndCarriesTheirColumnsOver() throws Exception {
        FeatureGraph v1 = FeatureGraph.of(List.of(
                FeatureSpec.builder("t/a").field(FieldSpec.of("x")).build(),
                FeatureSpec.builder("t/c").dep(FeatureDep.on("t/a").select(List.of("path", "size")).build())
                        .field(FieldSpec.of("y")).build()));
        // select names columns after rename, as in Metaxy.
        FeatureGraph v2 = v1.with(FeatureSpec.builder("t/c").dep(FeatureDep.on("t/a").select(List.of("video_path"))
                .rename(Map.of("path", "video_path")).build()).field(FieldSpec.of("y")).build());
        d = new HarnessDriver(StreamPlan.of(v1), true);
        d.write("t/a", 1, Map.of("x", "x1"), Map.of("path", "a.mp4", "size", 3));
        d.answer("t/c", 1);
        d.write("t/a", 2, Map.of("x", "x2"), Map.of("path", "b.mp4", "size", 4));
        int before = d.events.size();
        d = d.redeploy(StreamPlan.of(v2));
        assertThat(d.events.subList(before, d.events.size())).as("versions unchanged: nothing to say").isEmpty();
        assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(d.plan, d.writes)).hasSize(1);
        // The parent row kept through the redeploy now carries its columns as v2 selects and names them.
        Event stale = d.write("t/a", 1, Map.of("x", "x1b")).get(0);
        assertThat(stale.kind()).isEqualTo("stale");
        assertThat(stale.json().get("upstream").toString()).isEqualTo("{}");
        d.hardDelete("t/a", 1);
        d.write("t/a", 1, Map.of("x", "x1c"), Map.of("path", "c.mp4", "size", 5));
        assertThat(d.latest("t/c", HarnessDriver.ids(1)).json().get("upstream").toString()).isEqualTo("{\"video_path\":\"c.mp4\"}");
        d.answer("t/c", 1);
        assertThat(d.latest("t/c", HarnessDriver.ids(2)).json().get("upstream").toString())
                .as("announced under v1").isEqualTo("{\"path\":\"b.mp4\",\"size\":4}");
        d.answer("t/c", 2);
        d = d.redeploy(StreamPlan.of(v1.with(FeatureSpec.builder("t/c").dep(FeatureDep.on("t/a").select(List.of("video_path"))
                .rename(Map.of("path", "video_path")).build()).field(FieldSpec.of("y", "2")).build())));
        // A code change re-announces sample 2, with the kept row's columns as selected and renamed now.
        assertThat(d.latest("t/c", HarnessDriver.ids(2)).json().get("upstream").toString())
                .isEqualTo("{\"video_path\":\"b.mp4\"}");
        assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(d.plan, d.writes));
    }

    @Test
    void swappedAggregationDepsWhoseMembersShareIdsKeepBoth() throws Exception {
        FeatureSpec a = FeatureSpec.builder("t/a").idColumns("speaker_id", "utt_id").field(FieldSpec.of("audio")).build();
        FeatureSpec b = FeatureSpec.builder("t/b").idColumns("speaker_id", "utt_id").field(FieldSpec.of("text")).build();
        FeatureDep onA = FeatureDep.on("t/a").lineage(Lineage.aggregation(List.of("speaker_id"))).build();
        FeatureDep onB = FeatureDep.on("t/b").lineage(Lineage.aggregation(List.of("speaker_id"))).build();
        FeatureSpec.Builder speaker = FeatureSpec.builder("t/speaker").idColumns("speaker_id").field(FieldSpec.of("e"));
        FeatureGraph v1 = FeatureGraph.of(List.of(a, b, speaker.dep(onA).dep(onB).build()));
        FeatureGraph v2 = FeatureGraph.of(List.of(a, b, FeatureSpec.builder("t/speaker").idColumns("speaker_id")
                .field(FieldSpec.of("e")).dep(onB).dep(onA).build()));
        d = new HarnessDriver(StreamPlan.of(v1), true);
        d.write("t/a", utt(1, 1), Map.of("audio", "a1"));
        d.write("t/b", utt(1, 1), Map.of("text", "t1"));
        d.answer("t/speaker", "{\"speaker_id\":1}");
        int before = d.events.size();
        d = d.redeploy(StreamPlan.of(v2));
        assertThat(d.events.subList(before, d.events.size())).isEmpty();
        d.write("t/a", utt(1, 2), Map.of("audio", "a2"));
        assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(d.plan, d.writes)).hasSize(1);
    }

    static FeatureGraph speakers() {
        return FeatureGraph.of(List.of(
                // Metaxy's N:1: the members carry the group's id (speaker_id) as an ordinary column.
                FeatureSpec.builder("t/utterance").idColumns("utt_id").field(FieldSpec.of("audio")).build(),
                FeatureSpec.builder("t/speaker").idColumns("speaker_id")
                        .dep(FeatureDep.on("t/utterance").lineage(Lineage.aggregation(List.of("speaker_id"))).build())
                        .field(FieldSpec.of("embedding")).build(),
                FeatureSpec.builder("t/report").idColumns("speaker_id")
                        .dep(FeatureDep.on("t/speaker").build())
                        .field(FieldSpec.of("summary")).build()));
    }

    /** An utterance's ids plus its speaker_id column (the same utt_id with another speaker is a move). */
    static String utt(int speaker, int utt) {
        return "{\"speaker_id\":" + speaker + ",\"utt_id\":" + utt + "}";
    }

    @Test
    void aggregationFoldsMembersInIdOrder() throws Exception {
        StreamPlan plan = StreamPlan.of(speakers());
        d = new HarnessDriver(plan, true);
        StreamPlan.Feature speaker = plan.feature("t/speaker");
        var hasher = speaker.calculator.hasher();
        List<Event> first = d.write("t/utterance", utt(1, 10), Map.of("audio", "x10"));
        assertThat(kinds(first)).containsExactly("t/speaker:new");
        assertThat(first.get(0).ids()).isEqualTo("{\"speaker_id\":1}");
        List<Event> second = d.write("t/utterance", utt(1, 2), Map.of("audio", "x2"));
        // Members ordered by their ids, numerically: utt 2 before utt 10.
        String group = hasher.hash("x2|x10");
        assertThat(second.get(0).provenance()).isEqualTo(speaker.calculator.provenance(
                speaker.calculator.provenanceByField(new String[] {group})));
        assertThat(kinds(d.answer("t/speaker", "{\"speaker_id\":1}"))).containsExactly("t/report:new");
        assertThat(d.write("t/utterance", utt(2, 1), Map.of("audio", "y"))).extracting(Event::ids)
                .containsExactly("{\"speaker_id\":2}");
        assertThat(kinds(d.hardDelete("t/utterance", utt(1, 2)))).containsExactly("t/speaker:stale");
        assertThat(kinds(d.softDelete("t/utterance", utt(1, 10)))).containsExactly("t/speaker:orphaned");
        assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(plan, d.writes));
    }

    static FeatureGraph clips() {
        return FeatureGraph.of(List.of(
                FeatureSpec.builder("t/video").idColumns("video_id").field(FieldSpec.of("frames")).build(),
                // Metaxy's 1:N: the children carry the parent's id (video_id) as an ordinary column.
                FeatureSpec.builder("t/clips").idColumns("clip_id")
                        .dep(FeatureDep.on("t/video").lineage(Lineage.expansion(List.of("video_id"))).build())
                        .field(FieldSpec.of("clip")).build(),
                FeatureSpec.builder("t/caption").idColumns("clip_id")
                        .dep(FeatureDep.on("t/clips").build())
                        .field(FieldSpec.of("text")).build()));
    }

    /** A clip's ids plus its video_id column (the same clip_id under another video is a re-parenting). */
    static String clip(int video, int clip) {
        return "{\"clip_id\":" + clip + ",\"video_id\":" + video + "}";
    }

    @Test
    void expansionIsAnnouncedPerParentAndChildrenCollapse() throws Exception {
        StreamPlan plan = StreamPlan.of(clips());
        d = new HarnessDriver(plan, true);
        String v1 = "{\"video_id\":1}";
        List<Event> first = d.write("t/video", v1, Map.of("frames", "f1"), Map.of("path", "v1.mp4"));
        assertThat(kinds(first)).containsExactly("t/clips:new");
        assertThat(first.get(0).ids()).isEqualTo(v1);
        assertThat(first.get(0).json().get("upstream").get("path").asText()).isEqualTo("v1.mp4");
        Map<String, String> expected = HarnessDriver.byField(first.get(0).json().get("metaxy_provenance_by_field"));
        assertThat(kinds(d.write("t/clips", clip(1, 1), expected))).containsExactly("t/caption:new");
        assertThat(kinds(d.write("t/clips", clip(1, 2), expected))).containsExactly("t/caption:new");
        assertThat(d.outstanding()).containsOnlyKeys("t/caption {\"clip_id\":1}", "t/caption {\"clip_id\":2}");

        List<Event> stale = d.write("t/video", v1, Map.of("frames", "f2"));
        assertThat(kinds(stale)).containsExactly("t/clips:stale");
        Map<String, String> next = HarnessDriver.byField(stale.get(0).json().get("metaxy_provenance_by_field"));
        assertThat(d.write("t/clips", clip(1, 1), next)).as("one child redone, the other still stale")
                .extracting(Event::kind).containsExactly("new");
        assertThat(d.outstanding()).containsKey("t/clips " + v1);
        d.write("t/clips", clip(1, 2), next);
        assertThat(d.outstanding()).doesNotContainKey("t/clips " + v1);

        assertThat(kinds(d.hardDelete("t/video", v1))).containsExactly("t/clips:orphaned");
        d.hardDelete("t/clips", clip(1, 1));
        assertThat(d.outstanding()).containsKey("t/clips " + v1);
        d.hardDelete("t/clips", clip(1, 2));
        assertThat(d.outstanding()).doesNotContainKey("t/clips " + v1);
        assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(plan, d.writes));
    }

    /**
     * Dep filters in the stream (Metaxy's sql_filters, after rename): a parent row that stops
     * matching counts as gone (the child's work is withdrawn or orphaned), one that starts
     * matching as arrived; the outcome equals a batch resolve over the filtered rows.
     */
    @Test
    void depFiltersDecideWhichParentRowsCount() throws Exception {
        FeatureGraph graph = FeatureGraph.of(List.of(
                FeatureSpec.builder("t/clip").field(FieldSpec.of("x")).build(),
                FeatureSpec.builder("t/long").dep(FeatureDep.on("t/clip").rename(Map.of("seconds", "duration"))
                        .filters(List.of("duration >= 10 AND quality IN ('good', 'great')")).build())
                        .field(FieldSpec.of("y")).build()));
        StreamPlan plan = StreamPlan.of(graph);
        d = new HarnessDriver(plan, true);
        assertThat(d.write("t/clip", 1, Map.of("x", "a"), Map.of("seconds", 3, "quality", "good"))).isEmpty();
        assertThat(kinds(d.write("t/clip", 1, Map.of("x", "a"), Map.of("seconds", 12, "quality", "good"))))
                .containsExactly("t/long:new");
        assertThat(kinds(d.write("t/clip", 1, Map.of("x", "a"), Map.of("seconds", 12, "quality", "bad"))))
                .as("stops matching before it was computed: withdrawn").containsExactly("t/long:retracted");
        d.write("t/clip", 1, Map.of("x", "a"), Map.of("seconds", 12, "quality", "great"));
        d.answer("t/long", 1);
        assertThat(kinds(d.write("t/clip", 1, Map.of("x", "a"), Map.of("seconds", 4, "quality", "great"))))
                .as("stops matching after it was computed: orphaned").containsExactly("t/long:orphaned");
        assertThat(kinds(d.write("t/clip", 1, Map.of("x", "a"), Map.of("quality", "great"))))
                .as("a missing column is NULL: still no match").isEmpty();
        assertThat(kinds(d.write("t/clip", 1, Map.of("x", "a"), Map.of("seconds", 40, "quality", "great"))))
                .as("matches again, unchanged: the orphan is withdrawn").containsExactly("t/long:retracted");
        d.write("t/clip", 2, Map.of("x", "b"), Map.of("seconds", 50, "quality", "good"));
        assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(plan, d.writes)).containsOnlyKeys("t/long {\"sample_uid\":2}");
    }

    /**
     * The redeploy sweep runs after start-up in chunks, with input in between: a key's event
     * before its chunk re-evaluates it first, and no key is re-evaluated twice (each sample is
     * re-announced once), so the job converges to a batch resolve under the new definitions.
     */
    @Test
    void aRedeploySweepsInChunksWhileEventsArrive() throws Exception {
        FeatureGraph v1 = HarnessDriver.overview(1);
        d = new HarnessDriver(StreamPlan.of(v1), true);
        int n = IncrementOperator.SWEEP_CHUNK * 2 + 100;
        for (int i = 1; i <= n; i++) {
            d.write(VIDEO, i, video("a1", "f1"));
        }
        FeatureGraph v2 = v1.with(rebuildWithCode(v1.spec(STT), "2"));
        int before = d.events.size();
        d = d.redeploy(StreamPlan.of(v2), false);
        IncrementOperator operator = (IncrementOperator) d.harness.getOperator();
        assertThat(operator.sweepPending()).isTrue();
        d.sweepOneChunk();
        assertThat(operator.sweepPending()).as("one chunk of %s keys", IncrementOperator.SWEEP_CHUNK).isTrue();
        // Input between chunks, on keys swept or not yet swept (RocksDB's order is not ours to know).
        d.write(VIDEO, 1, video("a2", "f1"));
        d.write(VIDEO, n, video("a2", "f1"));
        d.finishSweep();
        assertThat(operator.sweepPending()).isFalse();
        List<Event> after = d.events.subList(before, d.events.size());
        assertThat(after.stream().filter(e -> e.feature().equals(STT))).as("every stt sample once, two changed twice")
                .hasSize(n + 2);
        assertThat(after.stream().filter(e -> e.feature().equals(CROP))).as("crop unchanged but for the two videos")
                .hasSize(2);
        assertThat(d.outstanding()).isEqualTo(BatchOracle.resolveAll(d.plan, d.writes));
        // The state now says the sweep is done: a restore of it sweeps nothing again.
        int done = d.events.size();
        d = d.redeploy(d.plan);
        assertThat(d.events.subList(done, d.events.size())).isEmpty();
    }
}
