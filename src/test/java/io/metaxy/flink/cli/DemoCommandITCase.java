package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code demo --duration 40 --change-after 15 --rate 10}: the cascade runs (face_detection gets
 * work, which needs crop's worker to have answered), and after stt's code_version changes
 * (the default {@code --change}) every stt sample is re-announced while crop and face_detection
 * get no redeploy work.
 */
class DemoCommandITCase {
    @Test
    void demoCascadesAndRecomputesOnlyTheAudioBranchAfterTheChange(@TempDir Path dir) {
        DemoCommand demo = new DemoCommand();
        CommandLine cli = new CommandLine(demo);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("--duration", "40", "--change-after", "15", "--rate", "10", "--kafka-port", "0",
                "--web-port", "0", "--plain", "--data-dir", dir.toString());
        String printed = out.toString();
        System.out.println(printed);
        assertThat(code).as(err.toString()).isZero();
        assertThat(demo.changed).isTrue();
        long faces = demo.work.get("example/face_detection").increments();
        assertThat(faces).as("cascade: face_detection increments").isGreaterThan(0);
        for (String f : java.util.List.of("example/crop", "example/stt", "example/face_detection")) {
            assertThat(demo.work.get(f).count("orphaned")).as(f + " orphaned").isZero();
        }
        // The redeploy re-announces every stt sample seen before it, and nothing of crop or face_detection.
        long sttBefore = demo.incrementsAtChangeSettled.get("example/stt");
        assertThat(demo.work.get("example/stt").redeployIncrements()).as("stt redeploy increments")
                .isGreaterThanOrEqualTo(sttBefore / 2).isPositive();
        assertThat(demo.work.get("example/crop").redeployIncrements()).as("crop redeploy increments").isZero();
        assertThat(demo.work.get("example/face_detection").redeployIncrements()).as("face_detection redeploy").isZero();
        // and the workers keep up with the new videos on every branch
        assertThat(demo.work.get("example/crop").increments()).isGreaterThan(demo.incrementsAtChangeSettled.get("example/crop"));
        assertThat(demo.work.get("example/face_detection").increments())
                .isGreaterThan(demo.incrementsAtChangeSettled.get("example/face_detection"));
        assertThat(printed).contains("Since the change:");
    }
}
