package io.metaxy.flink.definitions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FeatureGraphTest {
    private static final FeatureSpec VIDEO = FeatureSpec.builder("example/video")
            .field(FieldSpec.of("audio", "1")).field(FieldSpec.of("frames", "1")).build();

    @Test
    void defaultMappingMatchesSameKeyElseAllFields() {
        FeatureGraph graph = FeatureGraph.of(List.of(VIDEO, FeatureSpec.builder("example/crop")
                .dep(FeatureDep.on("example/video").build())
                .field(FieldSpec.of("audio")).field(FieldSpec.of("summary")).build()));
        assertThat(graph.parentFields(FeatureKey.of("example/crop"), FieldKey.of("audio")))
                .containsExactly(FieldRef.of("example/video", "audio"));
        assertThat(graph.parentFields(FeatureKey.of("example/crop"), FieldKey.of("summary")))
                .containsExactly(FieldRef.of("example/video", "audio"), FieldRef.of("example/video", "frames"));
    }

    @Test
    void suffixMatchingAndExclusions() {
        FeatureSpec up = FeatureSpec.builder("up").field(FieldSpec.of("left/audio")).field(FieldSpec.of("right/audio"))
                .field(FieldSpec.of("frames")).build();
        FeatureSpec down = FeatureSpec.builder("down")
                .dep(FeatureDep.on("up").fieldsMapping(new FieldsMapping.Default(true, Set.of(FieldKey.of("right/audio")))).build())
                .field(FieldSpec.of("audio")).field(FieldSpec.of("other")).build();
        FeatureGraph graph = FeatureGraph.of(List.of(up, down));
        assertThat(graph.parentFields(FeatureKey.of("down"), FieldKey.of("audio"))).containsExactly(FieldRef.of("up", "left/audio"));
        assertThat(graph.parentFields(FeatureKey.of("down"), FieldKey.of("other")))
                .containsExactly(FieldRef.of("up", "frames"), FieldRef.of("up", "left/audio"));
    }

    @Test
    void specificAndExplicitFieldDeps() {
        FeatureSpec down = FeatureSpec.builder("down")
                .dep(FeatureDep.on("example/video")
                        .fieldsMapping(FieldsMapping.specific(Map.of(FieldKey.of("a"), Set.of(FieldKey.of("frames"))))).build())
                .field(FieldSpec.of("a"))
                .field(FieldSpec.builder("b").deps(List.of(FieldDep.all("example/video"))).build())
                .build();
        FeatureGraph graph = FeatureGraph.of(List.of(VIDEO, down));
        assertThat(graph.parentFields(FeatureKey.of("down"), FieldKey.of("a"))).containsExactly(FieldRef.of("example/video", "frames"));
        assertThat(graph.parentFields(FeatureKey.of("down"), FieldKey.of("b"))).hasSize(2);
        assertThat(graph.topologicalOrder()).containsExactly(FeatureKey.of("example/video"), FeatureKey.of("down"));
        assertThat(graph.children(FeatureKey.of("example/video"))).containsExactly(FeatureKey.of("down"));
    }

    @Test
    void rejectsCycles() {
        FeatureSpec a = FeatureSpec.builder("a").dep(FeatureDep.on("b").build()).field(FieldSpec.of("x")).build();
        FeatureSpec b = FeatureSpec.builder("b").dep(FeatureDep.on("a").build()).field(FieldSpec.of("x")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(a, b))).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("cycle").hasMessageContaining("a").hasMessageContaining("b");
    }

    @Test
    void cycleErrorNamesExactlyTheCyclePath() {
        // a -> c -> b -> a is the cycle; d only depends on it and e is fine.
        FeatureSpec a = FeatureSpec.builder("a").dep(FeatureDep.on("c").build()).field(FieldSpec.of("x")).build();
        FeatureSpec b = FeatureSpec.builder("b").dep(FeatureDep.on("a").build()).field(FieldSpec.of("x")).build();
        FeatureSpec c = FeatureSpec.builder("c").dep(FeatureDep.on("b").build()).dep(FeatureDep.on("e").build())
                .field(FieldSpec.of("x")).build();
        FeatureSpec d = FeatureSpec.builder("d").dep(FeatureDep.on("a").build()).field(FieldSpec.of("x")).build();
        FeatureSpec e = FeatureSpec.builder("e").field(FieldSpec.of("x")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(d, c, b, a, e)))
                .hasMessage("dependency cycle: a -> c -> b -> a (each feature depends on the next)");
        FeatureSpec self = FeatureSpec.builder("s").dep(FeatureDep.on("s").build()).field(FieldSpec.of("x")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(self))).hasMessageContaining("dependency cycle: s -> s");
    }

    @Test
    void rejectsKeysSharingATableName() {
        FeatureSpec dashed = FeatureSpec.builder("x/a-b").field(FieldSpec.of("f")).build();
        FeatureSpec underscored = FeatureSpec.builder("x/a_b").field(FieldSpec.of("f")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(underscored, dashed))).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("features 'x/a-b' and 'x/a_b' both map to table 'x__a_b'");
        FeatureGraph one = FeatureGraph.of(List.of(dashed));
        assertThatThrownBy(() -> one.with(underscored)).hasMessageContaining("both map to table 'x__a_b'");
    }

    @Test
    void rejectsDepOnUnknownFeature() {
        FeatureSpec a = FeatureSpec.builder("a").dep(FeatureDep.on("ghost").build()).field(FieldSpec.of("x")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(a))).hasMessageContaining("feature 'a'")
                .hasMessageContaining("'ghost', which is not in the graph");
    }

    @Test
    void rejectsExplicitDepOnMissingField() {
        FeatureSpec down = FeatureSpec.builder("down").dep(FeatureDep.on("example/video").build())
                .field(FieldSpec.builder("faces").deps(List.of(FieldDep.of("example/video", "depth"))).build()).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(VIDEO, down)))
                .hasMessageContaining("feature 'down' field 'faces'").hasMessageContaining("field 'depth'");
    }

    @Test
    void rejectsDuplicates() {
        assertThatThrownBy(() -> FeatureGraph.of(List.of(VIDEO, VIDEO))).hasMessageContaining("duplicate feature key 'example/video'");
        FeatureSpec twice = FeatureSpec.builder("t").field(FieldSpec.of("x")).field(FieldSpec.of("x", "2")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(twice))).hasMessageContaining("feature 't' declares field 'x' twice");
    }

    @Test
    void rejectsInvalidKeyCharacters() {
        assertThatThrownBy(() -> FeatureKey.of("Video/Raw")).isInstanceOf(DefinitionException.class).hasMessageContaining("Video");
        assertThatThrownBy(() -> FeatureKey.of("a__b")).hasMessageContaining("__");
        assertThatThrownBy(() -> FieldKey.of("bad key")).hasMessageContaining("field key");
        assertThat(FeatureKey.of("my-team/raw_video").tableName()).isEqualTo("my_team__raw_video");
    }

    @Test
    void rejectsMisalignedIdColumnsOfOneToOneDeps() {
        FeatureSpec frames = FeatureSpec.builder("frames").idColumns("video_id", "frame")
                .dep(FeatureDep.on("example/video").build()).field(FieldSpec.of("frames")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(VIDEO, frames))).hasMessageContaining("id columns do not line up")
                .hasMessageContaining("frames");
    }

    @Test
    void expansionOnNamesParentIdColumnsThatTheChildCarries() {
        // Metaxy's example-expansion: video/chunk is keyed by video_chunk_id alone and carries video_id.
        FeatureSpec raw = FeatureSpec.builder("video/raw").idColumns("video_id").field(FieldSpec.of("frames")).build();
        FeatureSpec chunk = FeatureSpec.builder("video/chunk").idColumns("video_chunk_id")
                .dep(FeatureDep.on("video/raw").lineage(Lineage.expansion(List.of("video_id"))).build())
                .field(FieldSpec.of("frames")).build();
        FeatureGraph graph = FeatureGraph.of(List.of(raw, chunk));
        assertThat(graph.carriedColumns(FeatureKey.of("video/chunk"))).containsExactly("video_id");
        assertThat(graph.carriedColumns(FeatureKey.of("video/raw"))).isEmpty();

        // The child may also keep the parent's id among its own (finer) id columns: Metaxy allows it.
        FeatureSpec keyed = FeatureSpec.builder("video/chunk").idColumns("video_id", "chunk")
                .dep(FeatureDep.on("video/raw").lineage(Lineage.expansion(List.of("video_id"))).build())
                .field(FieldSpec.of("frames")).build();
        assertThat(FeatureGraph.of(List.of(raw, keyed)).carriedColumns(FeatureKey.of("video/chunk"))).isEmpty();

        // After a rename, 'on' uses the new name.
        FeatureSpec renamed = FeatureSpec.builder("video/chunk").idColumns("chunk_id")
                .dep(FeatureDep.on("video/raw").rename(Map.of("video_id", "source_video"))
                        .lineage(Lineage.expansion(List.of("source_video"))).build())
                .field(FieldSpec.of("frames")).build();
        assertThat(FeatureGraph.of(List.of(raw, renamed)).carriedColumns(FeatureKey.of("video/chunk"))).containsExactly("source_video");
    }

    @Test
    void expansionOnColumnThatIsNotAParentIdColumnIsAnError() {
        FeatureSpec raw = FeatureSpec.builder("video/raw").idColumns("video_id").field(FieldSpec.of("frames")).build();
        // Old style: 'on' named the child's own id column.
        FeatureSpec childSide = FeatureSpec.builder("video/chunk").idColumns("video_chunk_id")
                .dep(FeatureDep.on("video/raw").lineage(Lineage.expansion(List.of("video_chunk_id"))).build())
                .field(FieldSpec.of("frames")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(raw, childSide))).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("feature 'video/chunk' dep on 'video/raw' (1:N)")
                .hasMessageContaining("'on' column 'video_chunk_id' is not an id column of the upstream 'video/raw' [video_id]")
                .hasMessageContaining("is this an N:1 dep?");
        FeatureSpec preRename = FeatureSpec.builder("video/chunk").idColumns("chunk_id")
                .dep(FeatureDep.on("video/raw").rename(Map.of("video_id", "source_video"))
                        .lineage(Lineage.expansion(List.of("video_id"))).build())
                .field(FieldSpec.of("frames")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(raw, preRename)))
                .hasMessageContaining("'on' column 'video_id' is not an id column of the upstream 'video/raw' [source_video]")
                .hasMessageContaining("the dep renames 'video_id' to 'source_video'");
        assertThatThrownBy(() -> Lineage.expansion(List.of())).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("1:N lineage needs at least one 'on' column");
    }

    @Test
    void aggregationOnIsASubsetOfTheChildIdColumnsThatTheParentCarries() {
        // Metaxy's example-aggregation: audio is keyed by audio_id and carries speaker_id.
        FeatureSpec audio = FeatureSpec.builder("audio").idColumns("audio_id").field(FieldSpec.of("default")).build();
        FeatureSpec embedding = FeatureSpec.builder("speaker/embedding").idColumns("speaker_id")
                .dep(FeatureDep.on("audio").lineage(Lineage.aggregation(List.of("speaker_id"))).build())
                .field(FieldSpec.of("embedding", "1")).build();
        FeatureGraph graph = FeatureGraph.of(List.of(audio, embedding));
        assertThat(graph.carriedColumns(FeatureKey.of("audio"))).containsExactly("speaker_id");
        assertThat(graph.carriedColumns(FeatureKey.of("speaker/embedding"))).isEmpty();

        // Parent id columns may include 'on' (then nothing extra is carried).
        FeatureSpec utterance = FeatureSpec.builder("utterance").idColumns("speaker", "utterance").field(FieldSpec.of("audio")).build();
        FeatureSpec profile = FeatureSpec.builder("profile").idColumns("speaker")
                .dep(FeatureDep.on("utterance").lineage(Lineage.aggregation(List.of("speaker"))).build())
                .field(FieldSpec.of("audio")).build();
        assertThat(FeatureGraph.of(List.of(utterance, profile)).carriedColumns(FeatureKey.of("utterance"))).isEmpty();

        // A rename: 'on' uses the child's name, the parent carries its own.
        FeatureSpec renamed = FeatureSpec.builder("profile").idColumns("person")
                .dep(FeatureDep.on("audio").rename(Map.of("speaker_id", "person"))
                        .lineage(Lineage.aggregation(List.of("person"))).build())
                .field(FieldSpec.of("audio")).build();
        assertThat(FeatureGraph.of(List.of(audio, renamed)).carriedColumns(FeatureKey.of("audio"))).containsExactly("speaker_id");
    }

    @Test
    void aggregationOnDefaultsToAllChildIdColumns() {
        FeatureSpec reading = FeatureSpec.builder("reading").idColumns("reading_id").field(FieldSpec.of("value")).build();
        for (List<String> absent : java.util.Arrays.asList(null, List.<String>of())) {
            FeatureSpec hourly = FeatureSpec.builder("hourly").idColumns("sensor_id", "hour")
                    .dep(FeatureDep.on("reading").lineage(Lineage.aggregation(absent)).build())
                    .field(FieldSpec.of("value")).build();
            FeatureGraph graph = FeatureGraph.of(List.of(reading, hourly));
            assertThat(graph.spec("hourly").dep(FeatureKey.of("reading")).orElseThrow().lineage())
                    .isEqualTo(Lineage.aggregation(List.of("sensor_id", "hour")));
            assertThat(graph.carriedColumns(FeatureKey.of("reading"))).containsExactly("hour", "sensor_id");
        }
    }

    @Test
    void aggregationOnColumnThatIsNotAChildIdColumnIsAnError() {
        FeatureSpec utterance = FeatureSpec.builder("utterance").idColumns("speaker", "utterance").field(FieldSpec.of("audio")).build();
        // Old style: 'on' named the parent's finer id column.
        FeatureSpec notChildId = FeatureSpec.builder("profile").idColumns("speaker")
                .dep(FeatureDep.on("utterance").lineage(Lineage.aggregation(List.of("utterance"))).build())
                .field(FieldSpec.of("audio")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(utterance, notChildId))).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("feature 'profile' dep on 'utterance' (N:1)")
                .hasMessageContaining("'on' column 'utterance' is not an id column of the feature [speaker]")
                .hasMessageContaining("is this a 1:N dep?");

        FeatureSpec renamedAway = FeatureSpec.builder("profile").idColumns("speaker")
                .dep(FeatureDep.on("utterance").rename(Map.of("speaker", "person"))
                        .lineage(Lineage.aggregation(List.of("speaker"))).build())
                .field(FieldSpec.of("audio")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(utterance, renamedAway)))
                .hasMessageContaining("feature 'profile' dep on 'utterance' (N:1): 'on' column 'speaker' (the dep renames 'speaker' to 'person')");
    }

    @Test
    void rejectsNonRootFieldWithoutParents() {
        FeatureSpec down = FeatureSpec.builder("down").dep(FeatureDep.on("example/video").fieldsMapping(FieldsMapping.none()).build())
                .field(FieldSpec.of("x")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(VIDEO, down))).hasMessageContaining("feature 'down' field 'x' has no parent field");
    }

    @Test
    void selectUsesNamesAfterRename() {
        FeatureSpec ok = FeatureSpec.builder("down").dep(FeatureDep.on("example/video")
                .rename(Map.of("path", "video_path")).select(List.of("video_path", "size")).build())
                .field(FieldSpec.of("frames")).build();
        assertThat(FeatureGraph.of(List.of(VIDEO, ok)).keys()).hasSize(2);
        FeatureSpec preRename = FeatureSpec.builder("down").dep(FeatureDep.on("example/video")
                .rename(Map.of("path", "video_path")).select(List.of("path")).build())
                .field(FieldSpec.of("frames")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(VIDEO, preRename))).isInstanceOf(DefinitionException.class)
                .hasMessage("feature 'down' dep on 'example/video': select names 'path', which the dep renames to 'video_path';"
                        + " select uses the names after rename (select 'video_path')");
        // A swap keeps both names: 'a' is still a column after the rename.
        FeatureSpec swap = FeatureSpec.builder("down").dep(FeatureDep.on("example/video")
                .rename(Map.of("a", "b", "b", "a")).select(List.of("a")).build())
                .field(FieldSpec.of("frames")).build();
        assertThat(FeatureGraph.of(List.of(VIDEO, swap)).keys()).hasSize(2);
    }

    @Test
    void renameTargetsAreCheckedAsMetaxyDoes() {
        FeatureSpec system = FeatureSpec.builder("down").dep(FeatureDep.on("example/video")
                .rename(Map.of("x", "metaxy_provenance")).build()).field(FieldSpec.of("frames")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(VIDEO, system)))
                .hasMessage("feature 'down' dep on 'example/video': rename of 'x' targets the system column 'metaxy_provenance'");
        FeatureSpec idTarget = FeatureSpec.builder("down").dep(FeatureDep.on("example/video")
                .rename(Map.of("x", "sample_uid")).build()).field(FieldSpec.of("frames")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(VIDEO, idTarget)))
                .hasMessageContaining("rename of 'x' targets 'sample_uid', an id column of the upstream [sample_uid]");
        FeatureSpec twice = FeatureSpec.builder("down").dep(FeatureDep.on("example/video")
                .rename(Map.of("x", "z", "y", "z")).build()).field(FieldSpec.of("frames")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(VIDEO, twice)))
                .hasMessageContaining("feature 'down' dep on 'example/video': rename maps both 'x' and 'y' to 'z'");
    }

    @Test
    void aSelectedColumnFromTwoDepsIsAnErrorUnlessItIsAnIdOrJoinColumn() {
        FeatureSpec audio = FeatureSpec.builder("example/audio").field(FieldSpec.of("audio")).build();
        FeatureSpec both = FeatureSpec.builder("down")
                .dep(FeatureDep.on("example/video").select(List.of("path", "sample_uid")).build())
                .dep(FeatureDep.on("example/audio").select(List.of("path", "sample_uid")).build())
                .field(FieldSpec.of("frames")).build();
        assertThatThrownBy(() -> FeatureGraph.of(List.of(VIDEO, audio, both))).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("feature 'down': column 'path' arrives from deps 'example/video' and 'example/audio'");
        FeatureSpec renamed = FeatureSpec.builder("down")
                .dep(FeatureDep.on("example/video").select(List.of("path")).build())
                .dep(FeatureDep.on("example/audio").rename(Map.of("path", "audio_path")).select(List.of("audio_path")).build())
                .field(FieldSpec.of("frames")).build();
        assertThat(FeatureGraph.of(List.of(VIDEO, audio, renamed)).keys()).hasSize(3);
        // Without select the graph cannot know the columns (Metaxy checks only selects).
        FeatureSpec unselected = FeatureSpec.builder("down")
                .dep(FeatureDep.on("example/video").select(List.of("path")).build())
                .dep(FeatureDep.on("example/audio").build())
                .field(FieldSpec.of("frames")).build();
        assertThat(FeatureGraph.of(List.of(VIDEO, audio, unselected)).keys()).hasSize(3);

        // An N:1 'on' column shared with a 1:1 parent's selected column is a join column, not a clash.
        FeatureSpec utterance = FeatureSpec.builder("utterance").idColumns("utterance_id").field(FieldSpec.of("audio")).build();
        FeatureSpec speaker = FeatureSpec.builder("speaker").idColumns("speaker_id").field(FieldSpec.of("name")).build();
        FeatureSpec profile = FeatureSpec.builder("profile").idColumns("speaker_id")
                .dep(FeatureDep.on("utterance").lineage(Lineage.aggregation(null)).select(List.of("speaker_id")).build())
                .dep(FeatureDep.on("speaker").select(List.of("speaker_id")).build())
                .field(FieldSpec.of("audio")).build();
        assertThat(FeatureGraph.of(List.of(utterance, speaker, profile)).keys()).hasSize(3);
    }

    @Test
    void unknownFeaturesAreDefinitionErrorsWhereverLookedUp() {
        FeatureGraph graph = FeatureGraph.of(List.of(VIDEO));
        FeatureKey ghost = FeatureKey.of("ghost");
        assertThatThrownBy(() -> graph.spec(ghost)).isInstanceOf(DefinitionException.class).hasMessageContaining("unknown feature 'ghost'");
        assertThatThrownBy(() -> graph.carriedColumns(ghost)).isInstanceOf(DefinitionException.class).hasMessageContaining("unknown feature 'ghost'");
        assertThatThrownBy(() -> graph.children(ghost)).isInstanceOf(DefinitionException.class).hasMessageContaining("unknown feature 'ghost'");
        assertThatThrownBy(() -> graph.parentFields(ghost, FieldKey.of("x"))).isInstanceOf(DefinitionException.class)
                .hasMessageContaining("'ghost'");
    }
}
