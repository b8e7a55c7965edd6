package io.metaxy.flink.store;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldDep;
import io.metaxy.flink.definitions.FieldSpec;
import io.metaxy.flink.definitions.Lineage;
import java.util.List;
import java.util.Map;

/** The feature graph the store tests share. */
final class TestGraphs {
    static final String VIDEO = "test/video";
    static final String EXTRA = "test/extra";
    static final String CHILD = "test/child";
    static final String WITH_OPTIONAL = "test/with-optional";
    static final String FRAMES = "test/frames";
    static final String ITEM = "test/item";
    static final String SUMMARY = "test/summary";
    /** Metaxy's N:1 shape: recordings (ids [rec_id]) carry their group 'grp' as an ordinary column. */
    static final String RECORDING = "test/recording";
    static final String SPEAKER_GROUP = "test/speaker";
    /** Metaxy's 1:N shape: chunks (ids [chunk_id]) carry their video's sample_uid as an ordinary column. */
    static final String CHUNK = "test/chunk";

    private TestGraphs() {}

    /** {@code childCodeVersion} is the code version of the child's fields (bump it to change its feature version). */
    static FeatureGraph graph(String childCodeVersion) {
        FeatureSpec video = FeatureSpec.builder(VIDEO).idColumns("sample_uid")
                .field(FieldSpec.of("audio", "1")).field(FieldSpec.of("frames", "1")).build();
        FeatureSpec extra = FeatureSpec.builder(EXTRA).idColumns("sample_uid").field(FieldSpec.of("meta")).build();
        FeatureSpec child = FeatureSpec.builder(CHILD).idColumns("sample_uid")
                .dep(FeatureDep.on(VIDEO).build())
                .field(FieldSpec.of("audio", childCodeVersion)).field(FieldSpec.of("frames", childCodeVersion)).build();
        FeatureSpec withOptional = FeatureSpec.builder(WITH_OPTIONAL).idColumns("sample_uid")
                .dep(FeatureDep.on(VIDEO).build())
                .dep(FeatureDep.on(EXTRA).optional(true).build())
                .field(FieldSpec.of("out", "1")).build();
        FeatureSpec frames = FeatureSpec.builder(FRAMES).idColumns("sample_uid", "frame")
                .dep(FeatureDep.on(VIDEO).lineage(Lineage.expansion(List.of("sample_uid"))).build())
                .field(FieldSpec.of("frames", "1")).build();
        FeatureSpec item = FeatureSpec.builder(ITEM).idColumns("group_id", "item_id").field(FieldSpec.of("value")).build();
        FeatureSpec summary = FeatureSpec.builder(SUMMARY).idColumns("group_id")
                .dep(FeatureDep.on(ITEM).lineage(Lineage.aggregation(List.of("group_id"))).build())
                .field(FieldSpec.of("value", "1")).build();
        FeatureSpec recording = FeatureSpec.builder(RECORDING).idColumns("rec_id").field(FieldSpec.of("value")).build();
        FeatureSpec speaker = FeatureSpec.builder(SPEAKER_GROUP).idColumns("grp")
                .dep(FeatureDep.on(RECORDING).lineage(Lineage.aggregation(List.of("grp"))).build())
                .field(FieldSpec.of("value", "1")).build();
        FeatureSpec chunk = FeatureSpec.builder(CHUNK).idColumns("chunk_id")
                .dep(FeatureDep.on(VIDEO).lineage(Lineage.expansion(List.of("sample_uid"))).build())
                .field(FieldSpec.of("frames", "1")).build();
        return FeatureGraph.of(List.of(video, extra, child, withOptional, frames, item, summary, recording, speaker, chunk));
    }

    static final String RAW_VIDEO = "video/raw";
    static final String VIDEO_CHUNK = "video/chunk";
    static final String FACES = "video/faces";
    static final String AUDIO = "audio";
    static final String SPEAKER = "speaker/embedding";

    /**
     * Metaxy's examples/example-expansion (video/raw → 1:N video/chunk → video/faces, faces
     * reading only the chunks' frames) and examples/example-aggregation (audio → N:1
     * speaker/embedding on speaker_id), as their features.py declare them.
     * {@code videoAudioCodeVersion}: the code version of video/raw's audio field (the example's
     * patch 01 changes it from 1 to 2).
     */
    static FeatureGraph examples(String videoAudioCodeVersion) {
        FeatureSpec video = FeatureSpec.builder(RAW_VIDEO).idColumns("video_id")
                .field(FieldSpec.of("audio", videoAudioCodeVersion)).field(FieldSpec.of("frames")).build();
        FeatureSpec chunk = FeatureSpec.builder(VIDEO_CHUNK).idColumns("video_chunk_id")
                .dep(FeatureDep.on(RAW_VIDEO).lineage(Lineage.expansion(List.of("video_id"))).build())
                .field(FieldSpec.of("audio")).field(FieldSpec.of("frames")).build();
        FeatureSpec faces = FeatureSpec.builder(FACES).idColumns("video_chunk_id")
                .dep(FeatureDep.on(VIDEO_CHUNK).build())
                .field(FieldSpec.builder("faces").deps(List.of(FieldDep.of(VIDEO_CHUNK, "frames"))).build()).build();
        FeatureSpec audio = FeatureSpec.builder(AUDIO).idColumns("audio_id").field(FieldSpec.of("default")).build();
        FeatureSpec speaker = FeatureSpec.builder(SPEAKER).idColumns("speaker_id")
                .dep(FeatureDep.on(AUDIO).lineage(Lineage.aggregation(List.of("speaker_id"))).build())
                .field(FieldSpec.of("embedding", "1")).build();
        return FeatureGraph.of(List.of(video, chunk, faces, audio, speaker));
    }

    static MetadataRow video(long id, String audio, String frames) {
        return MetadataRow.builder().ids(Map.of("sample_uid", id))
                .provenanceByField(Map.of("audio", audio, "frames", frames)).build();
    }
}
