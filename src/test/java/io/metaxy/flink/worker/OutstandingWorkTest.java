package io.metaxy.flink.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutstandingWorkTest {
    static JsonNode json(String text) throws Exception {
        return IncrementWorker.JSON.readTree(text);
    }

    static JsonNode event(String kind, int id, String p) throws Exception {
        return json("{\"kind\":\"" + kind + "\",\"feature_version\":\"v1\",\"ids\":{\"sample_uid\":" + id + "},"
                + "\"metaxy_provenance_by_field\":" + (p == null ? "null" : "{\"a\":\"" + p + "\"}") + "}");
    }

    static JsonNode row(String p) throws Exception {
        return json("{\"metaxy_provenance_by_field\":{\"a\":\"" + p + "\"},\"metaxy_feature_version\":\"v1\"}");
    }

    @Test
    void answeredByTheLatestRowWhicheverIsReadFirst() throws Exception {
        OutstandingWork w = new OutstandingWork();
        w.row("{\"sample_uid\":1}", row("p1"));           // the answer read before the increment
        w.increment("{\"sample_uid\":1}", event("new", 1, "p1"));
        w.increment("{\"sample_uid\":2}", event("new", 2, "p2"));
        assertThat(w.outstanding()).isEqualTo(1);
        w.row("{\"sample_uid\":2}", row("wrong"));
        assertThat(w.outstanding()).isEqualTo(1);
        w.row("{\"sample_uid\":2}", row("p2"));
        assertThat(w.outstanding()).isZero();
        w.increment("{\"sample_uid\":1}", event("orphaned", 1, null));
        assertThat(w.outstanding()).isEqualTo(1);
        w.row("{\"sample_uid\":1}", null);
        assertThat(w.outstanding()).isZero();
        w.increment("{\"sample_uid\":2}", event("stale", 2, "p3"));
        w.increment("{\"sample_uid\":2}", json("{\"kind\":\"retracted\",\"ids\":{\"sample_uid\":2}}"));
        assertThat(w.outstanding()).isZero();
        assertThat(w.count("new")).isEqualTo(2);
        assertThat(w.increments()).isEqualTo(5);
    }

    @Test
    void oneToManyParentsAreAnsweredByAllTheirChildren() throws Exception {
        OutstandingWork w = new OutstandingWork(List.of("video_id"));
        String parent = "{\"video_id\":\"a\"}";
        w.increment(parent, json("{\"kind\":\"new\",\"feature_version\":\"v1\",\"ids\":" + parent
                + ",\"metaxy_provenance_by_field\":{\"a\":\"p\"}}"));
        w.row("{\"chunk\":\"a-0\"}", json("{\"video_id\":\"a\",\"metaxy_provenance_by_field\":{\"a\":\"p\"}}"));
        assertThat(w.outstanding()).isZero();
        w.increment(parent, json("{\"kind\":\"orphaned\",\"feature_version\":\"v1\",\"ids\":" + parent
                + ",\"metaxy_provenance_by_field\":null}"));
        w.row("{\"chunk\":\"a-1\"}", json("{\"video_id\":\"a\",\"metaxy_provenance_by_field\":{\"a\":\"p\"}}"));
        w.row("{\"chunk\":\"a-0\"}", null);
        assertThat(w.outstanding()).isEqualTo(1);
        w.row("{\"chunk\":\"a-1\"}", null);
        assertThat(w.outstanding()).isZero();
    }
}
