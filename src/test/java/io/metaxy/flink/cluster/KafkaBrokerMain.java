package io.metaxy.flink.cluster;

import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import java.nio.file.Path;

/**
 * A single KRaft broker in its own JVM: {@code KafkaBrokerMain PORT DIR}. Prints
 * {@code BROKER READY host:port} once it serves, and stops when its standard input closes (so it
 * dies with the test JVM that started it).
 */
public final class KafkaBrokerMain {
    public static final String READY = "BROKER READY ";

    public static void main(String[] args) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Integer.parseInt(args[0]), Path.of(args[1]))) {
            System.out.println(READY + kafka.bootstrapServers());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until EOF
            }
        }
        System.exit(0);
    }
}
