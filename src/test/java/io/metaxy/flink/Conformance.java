package io.metaxy.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the recorded Metaxy test vectors. They live in the repository, under
 * {@code src/test/resources/conformance/}, and are read from the test classpath
 * ({@code /conformance/<name>}); setting {@code METAXY_CONFORMANCE_DIR} reads them from that
 * folder instead (to try newly recorded vectors without copying them in).
 */
public final class Conformance {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RESOURCE_DIR = "/conformance/";

    private Conformance() {}

    /** The whole vector file {@code name} (for example {@code sample-provenance.json}). */
    public static JsonNode read(String name) {
        String override = System.getenv("METAXY_CONFORMANCE_DIR");
        try {
            if (override != null && !override.isEmpty()) {
                Path file = Path.of(override).resolve(name);
                if (!Files.isRegularFile(file)) {
                    throw new IllegalStateException("conformance vector " + file.toAbsolutePath()
                            + " not found (METAXY_CONFORMANCE_DIR=" + override + ")");
                }
                return JSON.readTree(file.toFile());
            }
            try (InputStream in = Conformance.class.getResourceAsStream(RESOURCE_DIR + name)) {
                if (in == null) {
                    throw new IllegalStateException("conformance vector " + RESOURCE_DIR + name
                            + " not on the test classpath (src/test/resources/conformance/)");
                }
                return JSON.readTree(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cases of one vector file. */
    public static List<JsonNode> cases(String name) {
        List<JsonNode> cases = new ArrayList<>();
        read(name).get("cases").forEach(cases::add);
        return cases;
    }
}
