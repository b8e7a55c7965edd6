package io.metaxy.flink.store;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureSpec;
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
        return FeatureGraph.of(List.of(video, extra, child, withOptional, frames, item, summary));
    }

    static MetadataRow video(long id, String audio, String frames) {
        return MetadataRow.builder().ids(Map.of("sample_uid", id))
                .provenanceByField(Map.of("audio", audio, "frames", frames)).build();
    }
}
