package io.metaxy.flink.versioning;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldKey;
import io.metaxy.flink.definitions.FieldRef;
import io.metaxy.flink.definitions.FieldSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The definition-level versions of a graph, computed as Metaxy computes them (design §2):
 * <ul>
 *   <li>field version: sha256 of {@code "<feature>.<field>"}, the code version, then the parent
 *       fields' versions sorted by {@code "<parent feature>.<parent field>"};</li>
 *   <li>feature version: sha256 of (field key, field version) for fields sorted by key;</li>
 *   <li>feature code version: sha256 of (field key, code version) for fields sorted by key;</li>
 *   <li>graph version (this product's own, not Metaxy's project version): sha256 of
 *       (feature key, feature version) for features sorted by key.</li>
 * </ul>
 * Each is the hex digest truncated to {@code length} characters (8 by default; a length beyond
 * the 64 hex characters of sha256 gives the whole digest, as Metaxy's truncation does).
 *
 * <pre>{@code
 * DefinitionVersions versions = DefinitionVersions.of(graph);
 * versions.featureVersion(FeatureKey.of("examples/parent")); // "7de0f5e8"
 * }</pre>
 */
public final class DefinitionVersions {
    private static final int SHA256_HEX_LENGTH = 64;
    private static final HexFormat HEX = HexFormat.of();

    private final FeatureGraph graph;
    private final int length;
    private final Map<FieldRef, String> fieldVersions = new HashMap<>();
    private final Map<FeatureKey, String> featureVersions = new TreeMap<>();
    private final Map<FeatureKey, String> codeVersions = new TreeMap<>();
    private final String graphVersion;

    private DefinitionVersions(FeatureGraph graph, int length) {
        if (length < SampleHasher.MIN_LENGTH) {
            throw new IllegalArgumentException("hash truncation length must be at least " + SampleHasher.MIN_LENGTH + ", got " + length);
        }
        this.graph = graph;
        this.length = Math.min(length, SHA256_HEX_LENGTH);
        for (FeatureKey key : graph.topologicalOrder()) {
            FeatureSpec spec = graph.spec(key);
            List<FieldSpec> sortedFields = spec.fields().stream().sorted(Comparator.comparing(FieldSpec::key)).toList();
            MessageDigest feature = sha256();
            MessageDigest code = sha256();
            for (FieldSpec field : sortedFields) {
                String version = computeFieldVersion(spec, field);
                fieldVersions.put(new FieldRef(key, field.key()), version);
                update(feature, field.key().toString());
                update(feature, version);
                update(code, field.key().toString());
                update(code, field.codeVersion());
            }
            featureVersions.put(key, render(feature));
            codeVersions.put(key, render(code));
        }
        MessageDigest whole = sha256();
        featureVersions.forEach((key, version) -> {
            update(whole, key.toString());
            update(whole, version);
        });
        this.graphVersion = render(whole);
    }

    public static DefinitionVersions of(FeatureGraph graph) {
        return new DefinitionVersions(graph, SampleHasher.MIN_LENGTH);
    }

    public static DefinitionVersions of(FeatureGraph graph, int length) {
        return new DefinitionVersions(graph, length);
    }

    public FeatureGraph graph() {
        return graph;
    }

    public String fieldVersion(FeatureKey feature, FieldKey field) {
        String version = fieldVersions.get(new FieldRef(feature, field));
        if (version == null) {
            graph.spec(feature);
            throw new IllegalArgumentException("unknown field '" + field + "' of feature '" + feature + "'");
        }
        return version;
    }

    /** Field key → field version of one feature, sorted by field key. */
    public Map<String, String> fieldVersions(FeatureKey feature) {
        Map<String, String> out = new TreeMap<>();
        for (FieldSpec field : graph.spec(feature).fields()) {
            out.put(field.key().toString(), fieldVersion(feature, field.key()));
        }
        return Collections.unmodifiableMap(out);
    }

    public String featureVersion(FeatureKey feature) {
        graph.spec(feature);
        return featureVersions.get(feature);
    }

    public String codeVersion(FeatureKey feature) {
        graph.spec(feature);
        return codeVersions.get(feature);
    }

    public String graphVersion() {
        return graphVersion;
    }

    private String computeFieldVersion(FeatureSpec spec, FieldSpec field) {
        MessageDigest digest = sha256();
        update(digest, spec.key() + "." + field.key());
        update(digest, field.codeVersion());
        // Parents come sorted by "<feature>.<field>" and were versioned earlier (topological order).
        for (FieldRef parent : graph.parentFields(spec.key(), field.key())) {
            update(digest, fieldVersions.get(parent));
        }
        return render(digest);
    }

    private String render(MessageDigest digest) {
        return HEX.formatHex(digest.digest()).substring(0, length);
    }

    private static void update(MessageDigest digest, String text) {
        digest.update(text.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
