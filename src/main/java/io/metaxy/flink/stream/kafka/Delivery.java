package io.metaxy.flink.stream.kafka;

import java.util.Locale;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * The delivery promise of the job's Kafka sinks ({@link io.metaxy.flink.config.MetaxyOptions#DELIVERY}).
 *
 * <pre>{@code
 * Delivery d = Delivery.parse("at-least-once");
 * kafkaSinkBuilder.setDeliveryGuarantee(d.guarantee());
 * }</pre>
 */
public enum Delivery {
    EXACTLY_ONCE(DeliveryGuarantee.EXACTLY_ONCE),
    AT_LEAST_ONCE(DeliveryGuarantee.AT_LEAST_ONCE);

    private final DeliveryGuarantee guarantee;

    Delivery(DeliveryGuarantee guarantee) {
        this.guarantee = guarantee;
    }

    public DeliveryGuarantee guarantee() {
        return guarantee;
    }

    /** {@code exactly-once}/{@code at-least-once}, also with underscores or upper case. */
    public static Delivery parse(String text) {
        String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (Delivery d : values()) {
            if (d.name().equals(norm)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown delivery '" + text + "': use exactly-once or at-least-once");
    }

    /** As written on the command line and in config files. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
