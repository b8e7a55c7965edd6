package io.metaxy.flink.stream.operator;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A simple-graph increment rendered and encoded: the operator's earlier path (a generator per
 * increment into a {@code String}, then {@code getBytes} as the Kafka serializer did) against
 * {@link IncrementJson}, alternating in one JVM, one thread, warm. Not a test: run with the test
 * classpath, {@code java -cp target/test-classes:target/classes:$(cat cp.txt) io.metaxy.flink.stream.operator.IncrementRenderBench}.
 */
public class IncrementRenderBench {
    static final ObjectMapper JSON = new ObjectMapper();
    static byte[] old(String ids, String[] exp, String prov, long off, String upstream) throws Exception {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator g = JSON.getFactory().createGenerator(text)) {
            g.writeStartObject();
            g.writeStringField("kind", "new"); g.writeStringField("feature", "bench/leaf");
            g.writeStringField("feature_version", "34d75856");
            g.writeFieldName("ids"); g.writeRawValue(ids);
            g.writeFieldName("metaxy_provenance_by_field"); g.writeStartObject();
            g.writeStringField("embedding", exp[0]); g.writeEndObject();
            g.writeStringField("metaxy_provenance", prov); g.writeStringField("recorded_metaxy_provenance", null);
            g.writeFieldName("upstream"); g.writeRawValue(upstream);
            g.writeFieldName("members"); g.writeStartObject(); g.writeEndObject();
            g.writeObjectFieldStart("cause"); g.writeStringField("topic", "metaxy.bench__video");
            g.writeNumberField("partition", 0); g.writeNumberField("offset", off); g.writeEndObject();
            g.writeEndObject();
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }
    public static void main(String[] a) throws Exception {
        int n = 200_000;
        String[] ids = new String[n]; String[][] exp = new String[n][]; String[] prov = new String[n];
        for (int i = 0; i < n; i++) { ids[i] = "{\"sample_uid\":" + i + "}"; exp[i] = new String[] {"e" + i + "abcdef"}; prov[i] = "p" + i + "abcdef"; }
        IncrementJson json = new IncrementJson();
        byte[] up = IncrementJson.EMPTY_OBJECT;
        long sink = 0;
        for (int round = 0; round < 8; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) sink += old(ids[i], exp[i], prov[i], i, "{}").length;
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) sink += json.render("bench/leaf", "34d75856", List.of("embedding"), "new", ids[i], exp[i], prov[i], null, null, up, null, IncrementJson.Cause.position("metaxy.bench__video", 0, i), true).length;
            long t2 = System.nanoTime();
            if (round >= 3) System.out.printf("round %d: old %.2f us, new %.2f us per increment%n", round, (t1 - t0) / 1e3 / n, (t2 - t1) / 1e3 / n);
        }
        System.out.println(sink);
    }
}
