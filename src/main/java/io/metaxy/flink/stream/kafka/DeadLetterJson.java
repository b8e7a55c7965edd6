package io.metaxy.flink.stream.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.stream.DeadLetter;
import java.nio.charset.StandardCharsets;

/** The dead-letter value: {@code {"reason","feature","topic","partition","offset","key","value"}}. */
final class DeadLetterJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeadLetterJson() {}

    static String render(DeadLetter d) {
        ObjectNode node = JSON.createObjectNode();
        node.put("reason", d.reason);
        node.put("feature", d.feature);
        node.put("topic", d.topic);
        node.put("partition", d.partition);
        node.put("offset", d.offset);
        node.put("key", d.key == null ? null : new String(d.key, StandardCharsets.UTF_8));
        node.put("value", d.valuePreview);
        return node.toString();
    }
}
