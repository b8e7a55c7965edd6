package io.metaxy.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Loads the recorded Metaxy test vectors from {@code ../shared/conformance}. */
public final class Conformance {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Conformance() {}

    /** The conformance folder: {@code METAXY_CONFORMANCE_DIR}, else {@code ../shared/conformance}. */
    public static Path dir() {
        String override = System.getenv("METAXY_CONFORMANCE_DIR");
        Path dir = override != null ? Path.of(override) : Path.of("..", "shared", "conformance");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("conformance vectors not found at " + dir.toAbsolutePath()
                    + " (set METAXY_CONFORMANCE_DIR)");
        }
        return dir;
    }

    public static Path file(String name) {
        return dir().resolve(name);
    }

    /** The cases of one vector file. */
    public static List<JsonNode> cases(String file) {
        try {
            List<JsonNode> cases = new ArrayList<>();
            JSON.readTree(file(file).toFile()).get("cases").forEach(cases::add);
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
