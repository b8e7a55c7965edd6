package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metaxy.flink.store.PostgresServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Secrets given to {@code run} (a Kafka client password with {@code --kafka-property}, the store's
 * password from a file) reach the job but appear neither in the command's output, nor in the log
 * (Kafka and Flink at INFO), nor in what the web UI's REST API shows of the job and its configuration.
 */
class RunSecretsITCase {
    @TempDir
    Path dir;

    @Test
    void secretsStayOutOfTheLogAndTheWebUi() throws Exception {
        String kafkaSecret = "kafka-" + UUID.randomUUID();
        String storeSecret = "store-" + UUID.randomUUID();
        Path passwordFile = Files.writeString(dir.resolve("store-password"), storeSecret + "\n");
        int webPort = freePort();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        StringWriter log = new StringWriter();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Appender appender = WriterAppender.newBuilder().setName("secrets").setTarget(log)
                .setLayout(PatternLayout.newBuilder().withPattern("%c %m%n").build()).build();
        appender.start();
        // Everything at INFO into the captured log only: the console stays quiet.
        context.getConfiguration().getRootLogger().getAppenders().keySet()
                .forEach(name -> context.getConfiguration().getRootLogger().removeAppender(name));
        context.getConfiguration().getRootLogger().addAppender(appender, Level.INFO, null);
        Configurator.setAllLevels(LogManager.ROOT_LOGGER_NAME, Level.INFO);
        RunCommand.Launched launched = null;
        try {
            CommandLine cli = MetaxyCommand.newCommandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            cli.parseArgs("run", "--graph", "examples/overview.yaml", "--embedded-kafka", "--kafka-port", String.valueOf(freePort()),
                    "--data-dir", dir.toString(), "--web-port", String.valueOf(webPort), "--managed-memory", "128m",
                    "--kafka-property", "ssl.key.password=" + kafkaSecret,
                    "--store", PostgresServer.get().newDatabase(), "--store-password-file", passwordFile.toString());
            RunCommand run = cli.getSubcommands().get("run").getCommand();
            launched = run.launch();
            String job = launched.job().getJobID().toHexString();
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofMinutes(2)).ignoreExceptions()
                    .until(() -> get(http, webPort, "/jobs/" + job).contains("\"state\":\"RUNNING\""));
            for (String path : List.of("/jobs/" + job, "/jobs/" + job + "/config", "/jobs/" + job + "/plan",
                    "/jobs/" + job + "/jobmanager/config", "/jobmanager/config", "/taskmanagers")) {
                String body = get(http, webPort, path);
                assertThat(body).as(path).doesNotContain(kafkaSecret).doesNotContain(storeSecret);
            }
            // The Kafka clients have logged their configuration by now.
            await().atMost(Duration.ofMinutes(1)).until(() -> log.toString().contains("ssl.key.password"));
        } finally {
            if (launched != null) {
                launched.stop();
            }
            context.getConfiguration().getRootLogger().removeAppender("secrets");
            appender.stop();
            Configurator.reconfigure();
        }
        assertThat(out.toString() + err).doesNotContain(kafkaSecret).doesNotContain(storeSecret);
        assertThat(log.toString()).doesNotContain(kafkaSecret).doesNotContain(storeSecret);
    }

    static String get(HttpClient http, int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return r.body();
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
