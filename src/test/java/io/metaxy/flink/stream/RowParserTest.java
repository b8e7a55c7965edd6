package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RowParserTest {
    static final StreamPlan PLAN = StreamPlan.of(HarnessDriver.overview(1));
    static final RowParser PARSER = new RowParser(PLAN, 1000);
    static final String VIDEO = "metaxy.example__video";

    static StampedRow parse(String key, String value) throws Exception {
        return PARSER.parse(RawRecord.of(VIDEO, 0, 0, key, value));
    }

    @Test
    void stampsSystemColumns() throws Exception {
        StampedRow row = parse("{\"sample_uid\":1}",
                "{\"path\":\"a\",\"metaxy_provenance_by_field\":{\"frames\":\"f\",\"audio\":\"a\"}}");
        assertThat(row.featureVersion).isEqualTo("c2ac395f");
        assertThat(row.provenanceByField).containsExactly("a", "f");
        assertThat(row.dataVersionByField).containsExactly("a", "f");
        assertThat(row.provenance).isEqualTo(PLAN.feature("example/video").calculator.provenance(new String[] {"a", "f"}));
        assertThat(row.dataVersion).isEqualTo(row.provenance);
        assertThat(row.columnsJson()).isEqualTo("{\"path\":\"a\"}");
        assertThat(row.op).isEqualTo(RowOp.UPSERT);
        assertThat(row.toMetadataRow(PLAN).provenanceByField()).containsEntry("audio", "a");
    }

    @Test
    void metaxysProjectAndDefinitionVersionsAreAcceptedAndCarriedToTheStore() throws Exception {
        StampedRow row = parse("{\"sample_uid\":1}", "{\"metaxy_provenance_by_field\":{\"frames\":\"f\",\"audio\":\"a\"},"
                + "\"metaxy_project_version\":\"p1\",\"metaxy_definition_version\":\"d1\"}");
        assertThat(row.columnsJson()).isEqualTo("{}");
        assertThat(row.toMetadataRow(PLAN).projectVersion()).isEqualTo("p1");
        assertThat(row.toMetadataRow(PLAN).definitionVersion()).isEqualTo("d1");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1}", "{\"metaxy_provenance_by_field\":{\"frames\":\"f\",\"audio\":\"a\"},"
                + "\"metaxy_bogus\":1}")).hasMessageContaining("unknown system column 'metaxy_bogus'")
                .hasMessageContaining("metaxy_project_version");
    }

    @Test
    void idsComeFromTheValueWhenTheKeyIsMissingAndAreCanonical() throws Exception {
        StampedRow row = PARSER.parse(RawRecord.of("metaxy.example__video", 0, 0, null,
                "{\"sample_uid\":7,\"metaxy_provenance_by_field\":{\"frames\":\"f\",\"audio\":\"a\"}}"));
        assertThat(row.idsJson()).isEqualTo("{\"sample_uid\":7}");
    }

    @Test
    void tombstonesAndSoftDeletes() throws Exception {
        assertThat(parse("{\"sample_uid\":1}", null).op).isEqualTo(RowOp.HARD_DELETE);
        assertThat(parse("{\"sample_uid\":1}", "{\"metaxy_deleted_at\":\"2026-01-01T00:00:00Z\"}").op)
                .isEqualTo(RowOp.SOFT_DELETE);
    }

    @Test
    void refusalsNameFeatureColumnAndProblem() {
        assertThatThrownBy(() -> parse("{\"sample_uid\":1}", "[1]")).hasMessageContaining("value must be a JSON object");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1,\"x\":2}", "{}")).hasMessageContaining("unknown column 'x'");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1.5}", "{}")).hasMessageContaining("string or an integer");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1}", "{\"path\":\"a\"}"))
                .hasMessageContaining("example/video").hasMessageContaining("metaxy_provenance_by_field' is missing");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1}", "{\"metaxy_provenance_by_field\":{\"audio\":\"a\"}}"))
                .hasMessageContaining("lacks field 'frames'");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1}",
                "{\"metaxy_provenance_by_field\":{\"audio\":\"a\",\"frames\":\"f\"},\"metaxy_provenance\":\"nope\"}"))
                .hasMessageContaining("hashes to");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1}", "{\"sample_uid\":2}")).hasMessageContaining("in the key");
        assertThatThrownBy(() -> parse(null, null)).hasMessageContaining("tombstone");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1}", "{\"big\":\"" + "x".repeat(2000) + "\"}"))
                .hasMessageContaining("exceeds the limit");
        assertThatThrownBy(() -> PARSER.parse(RawRecord.of("elsewhere", 0, 0, "{}", "{}")))
                .hasMessageContaining("not the metadata topic");
    }

    /** Keys the streaming read hands to the tree read are refused as before. */
    @Test
    void unusualKeysAreRefusedByName() {
        String value = "{\"metaxy_provenance_by_field\":{\"audio\":\"a\",\"frames\":\"f\"}}";
        assertThatThrownBy(() -> parse("[1]", value)).hasMessageContaining("key must be a JSON object, got array");
        assertThatThrownBy(() -> parse("\"x\"", value)).hasMessageContaining("key must be a JSON object, got string");
        assertThatThrownBy(() -> parse("{\"sample_uid\":", value)).hasMessageContaining("key is not JSON");
        assertThatThrownBy(() -> parse("{\"sample_uid\":null}", value))
                .hasMessageContaining("id column 'sample_uid' is missing from the key");
        assertThatThrownBy(() -> parse("{\"sample_uid\":{\"a\":1}}", value))
                .hasMessageContaining("id column 'sample_uid' must be a string or an integer, got object");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1,\"x\":[1]}", value)).hasMessageContaining("unknown column 'x'");
        assertThatThrownBy(() -> parse("{\"sample_uid\":1}", "{\"sample_uid\":\"1\"}")).hasMessageContaining("in the key");
    }

    @Test
    void aDuplicateIdInTheKeyCountsItsLastValue() throws Exception {
        assertThat(parse("{\"sample_uid\":1,\"sample_uid\":\"b\"}",
                "{\"metaxy_provenance_by_field\":{\"audio\":\"a\",\"frames\":\"f\"}}").idsJson())
                .isEqualTo("{\"sample_uid\":\"b\"}");
    }
}
