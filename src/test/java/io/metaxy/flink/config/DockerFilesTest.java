package io.metaxy.flink.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.cli.MetaxyCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code docker/} checked without a Docker engine: the compose file parses (anchors and merge keys
 * resolved, as Compose does), its images agree with the Dockerfile and the pom, its ports with
 * {@code flink-conf/config.yaml} and the submitted command, every path it mounts or copies exists,
 * and the submitted {@code run} arguments are accepted by the CLI.
 */
class DockerFilesTest {
    static final Path DOCKER = Path.of("docker");

    @SuppressWarnings("unchecked")
    static Map<String, Object> compose() throws Exception {
        return (Map<String, Object>) new Yaml().load(Files.readString(DOCKER.resolve("docker-compose.yml")));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> service(String name) throws Exception {
        Map<String, Object> services = (Map<String, Object>) compose().get("services");
        assertThat(services).as("services").containsKeys("kafka", "postgres", "jobmanager", "taskmanager", "submit");
        return (Map<String, Object>) services.get(name);
    }

    static String pomProperty(String name) throws Exception {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(Files.readString(Path.of("pom.xml")));
        assertThat(m.find()).as("pom property " + name).isTrue();
        return m.group(1);
    }

    @Test
    @SuppressWarnings("unchecked")
    void imagesAgreeWithTheDockerfileAndThePom() throws Exception {
        String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
        assertThat(dockerfile).containsPattern("(?m)^FROM flink:" + Pattern.quote(pomProperty("flink.version")) + "-java17$");
        assertThat(service("kafka").get("image")).isEqualTo("apache/kafka:" + pomProperty("kafka.version"));
        assertThat((String) service("postgres").get("image")).startsWith("postgres:");
        for (String flink : List.of("jobmanager", "taskmanager", "submit")) {
            Map<String, Object> s = service(flink);
            assertThat(s.get("image")).as(flink).isEqualTo(service("jobmanager").get("image"));
            Map<String, Object> build = (Map<String, Object>) s.get("build");
            assertThat(DOCKER.resolve((String) build.get("context")).resolve((String) build.get("dockerfile")).normalize())
                    .as(flink + " builds docker/Dockerfile").isEqualTo(DOCKER.resolve("Dockerfile"));
        }
        assertThat(service("jobmanager").get("command")).isEqualTo("jobmanager");
        assertThat(service("taskmanager").get("command")).isEqualTo("taskmanager");
    }

    @Test
    @SuppressWarnings("unchecked")
    void portsAgree() throws Exception {
        Map<String, String> conf = FlinkConfigFileTest.flatten(Path.of("flink-conf", "config.yaml"));
        assertThat(containerPorts("jobmanager")).contains(Integer.parseInt(conf.get("rest.port")));
        Map<String, Object> kafkaEnv = (Map<String, Object>) service("kafka").get("environment");
        int kafkaPort = Integer.parseInt(((String) kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS")).replaceAll(".*kafka:(\\d+).*", "$1"));
        assertThat(containerPorts("kafka")).contains(kafkaPort);
        List<String> run = submittedRun();
        assertThat(run.get(run.indexOf("--bootstrap-servers") + 1)).isEqualTo("kafka:" + kafkaPort);
        Map<String, Object> pgEnv = (Map<String, Object>) service("postgres").get("environment");
        assertThat(run.get(run.indexOf("--store") + 1)).isEqualTo("postgresql://" + pgEnv.get("POSTGRES_USER") + "@postgres:"
                + containerPorts("postgres").get(0) + "/" + pgEnv.get("POSTGRES_DB"));
        Map<String, Object> submitEnv = (Map<String, Object>) service("submit").get("environment");
        assertThat(submitEnv.get(MetaxyOptions.STORE_PASSWORD_ENV)).isEqualTo(pgEnv.get("POSTGRES_PASSWORD"));
        assertThat((String) submitEnv.get("FLINK_PROPERTIES")).as("the merged Flink environment").contains("rest.address: jobmanager");
    }

    @Test
    @SuppressWarnings("unchecked")
    void mountedAndCopiedPathsExist() throws Exception {
        for (String name : List.of("jobmanager", "taskmanager", "submit")) {
            for (Object v : (List<Object>) service(name).getOrDefault("volumes", List.of())) {
                String host = v.toString().split(":")[0];
                if (host.startsWith(".") || host.startsWith("/")) {
                    assertThat(DOCKER.resolve(host).normalize()).as(name + " mounts " + host).exists();
                }
            }
        }
        for (String line : Files.readString(DOCKER.resolve("Dockerfile")).lines().filter(l -> l.startsWith("COPY ")).toList()) {
            String source = line.split("\\s+")[1];
            if (source.startsWith("target/")) {
                assertThat(source).as("the jar `mvn -Pcluster package` builds").isEqualTo("target/metaxy-flink-cluster.jar");
            } else {
                assertThat(Path.of(source)).as("COPY " + source).exists();
            }
        }
        assertThat(Files.readString(Path.of("pom.xml"))).contains("<shaded.name>metaxy-flink-cluster</shaded.name>");
    }

    @Test
    void theSubmittedRunIsAcceptedByTheCli() throws Exception {
        List<String> run = submittedRun();
        String graph = run.get(run.indexOf("--graph") + 1);
        assertThat(graph).startsWith("/opt/metaxy/examples/");
        assertThat(Path.of("examples").resolve(graph.substring("/opt/metaxy/examples/".length()))).exists();
        MetaxyCommand.newCommandLine().parseArgs(run.toArray(String[]::new));
    }

    /** The arguments after the jar of the submit service's {@code flink run -d JAR}. */
    static List<String> submittedRun() throws Exception {
        List<String> words = Arrays.asList(((String) service("submit").get("command")).trim().split("\\s+"));
        assertThat(words.subList(0, 3)).containsExactly("flink", "run", "-d");
        assertThat(words.get(3)).isEqualTo("/opt/flink/usrlib/metaxy-flink-cluster.jar");
        return words.subList(4, words.size());
    }

    @SuppressWarnings("unchecked")
    static List<Integer> containerPorts(String service) throws Exception {
        return ((List<Object>) service(service).get("ports")).stream()
                .map(p -> Integer.parseInt(p.toString().replaceAll(".*:", ""))).toList();
    }
}
