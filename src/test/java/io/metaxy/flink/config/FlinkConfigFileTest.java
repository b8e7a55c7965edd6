package io.metaxy.flink.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.ZipFile;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.GlobalConfiguration;
import org.junit.jupiter.api.Test;

/**
 * {@code flink-conf/config.yaml} uses current Flink 2.2 keys only: each is the key of a Flink
 * option that is not deprecated, and none is a deprecated key of another option; its metaxy.*
 * keys are {@link MetaxyOptions}. Flink's own loader reads it.
 */
class FlinkConfigFileTest {
    static final Path FILE = Path.of("flink-conf", "config.yaml");

    @Test
    void usesCurrentFlinkKeysOnly() throws Exception {
        Set<String> current = new HashSet<>();
        Set<String> deprecated = new HashSet<>();
        for (Class<?> options : optionClasses()) {
            for (Field f : options.getFields()) {
                if (!Modifier.isStatic(f.getModifiers()) || !ConfigOption.class.isAssignableFrom(f.getType())) {
                    continue;
                }
                ConfigOption<?> option = (ConfigOption<?>) f.get(null);
                (f.isAnnotationPresent(Deprecated.class) ? deprecated : current).add(option.key());
                for (FallbackKey k : option.fallbackKeys()) {
                    if (k.isDeprecated()) {
                        deprecated.add(k.getKey());
                    }
                }
            }
        }
        assertThat(current).as("Flink's options were found").contains("execution.checkpointing.interval", "state.backend.type");
        Set<String> metaxy = new HashSet<>();
        MetaxyOptions.all().forEach(o -> metaxy.add(o.key()));
        for (String key : flatten(FILE).keySet()) {
            if (key.startsWith("metaxy.")) {
                assertThat(metaxy).as("a MetaxyOptions key").contains(key);
            } else {
                assertThat(current).as("a current Flink key").contains(key);
                assertThat(deprecated).as("not a deprecated Flink key").doesNotContain(key);
            }
        }
    }

    @Test
    void flinksLoaderReadsIt() {
        Configuration c = GlobalConfiguration.loadConfiguration(FILE.getParent().toString());
        assertThat(c.getString("state.backend.type", null)).isEqualTo("rocksdb");
        assertThat(c.get(MetaxyOptions.TOPIC_PREFIX)).isEqualTo(MetaxyOptions.TOPIC_PREFIX.defaultValue());
        assertThat(c.toMap()).containsEntry("execution.checkpointing.interval", "5s");
    }

    /** Every *Options class of flink-core's configuration package and the RocksDB backend's. */
    static Set<Class<?>> optionClasses() throws Exception {
        Set<Class<?>> out = new HashSet<>();
        URI core = CoreOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI();
        try (ZipFile jar = new ZipFile(Path.of(core).toFile())) {
            for (String name : jar.stream().map(e -> e.getName()).toList()) {
                if (name.matches("org/apache/flink/configuration/[A-Za-z]+Options\\.class")) {
                    out.add(Class.forName(name.replace('/', '.').replace(".class", "")));
                }
            }
        }
        for (String name : new String[] {"org.apache.flink.state.rocksdb.RocksDBOptions",
                "org.apache.flink.state.rocksdb.RocksDBConfigurableOptions"}) {
            out.add(Class.forName(name));
        }
        return out;
    }

    static Map<String, String> flatten(Path yaml) throws Exception {
        Map<String, String> out = new TreeMap<>();
        flatten("", new YAMLMapper().readTree(yaml.toFile()), out);
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else {
            out.put(prefix, node.asText());
        }
    }

}
