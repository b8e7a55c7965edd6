package io.metaxy.flink.stream;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where one job keeps its checkpoints and savepoints, and which of them a new run resumes from:
 * {@code <state dir>/<job name>/checkpoints}, {@code …/savepoints}, and {@code …/kafka-cluster-id}
 * naming the Kafka cluster whose offsets they hold. Only local directories are searched; for a
 * URI (a cluster's shared file system) give {@code --restore} explicitly.
 *
 * <pre>{@code
 * ResumePoint resume = ResumePoint.in("metaxy-data/checkpoints", "metaxy-metaxy_");
 * Optional<String> from = resume.latest(clusterId, false, err);   // newest _metadata of this job and cluster
 * resume.recordCluster(clusterId);
 * }</pre>
 */
public final class ResumePoint {
    static final String CLUSTER_FILE = "kafka-cluster-id";
    private static final String METADATA = "_metadata";

    private final String root;
    private final Path local;

    private ResumePoint(String root, Path local) {
        this.root = root;
        this.local = local;
    }

    /** The job's folder under {@code stateDir}, a local path or a URI ({@code s3://…}, {@code file:///…}). */
    public static ResumePoint in(String stateDir, String jobName) {
        if (stateDir.contains("://")) {
            String base = stateDir.endsWith("/") ? stateDir : stateDir + "/";
            return new ResumePoint(base + jobName, stateDir.startsWith("file://") ? Path.of(java.net.URI.create(base + jobName)) : null);
        }
        Path dir = Path.of(stateDir).resolve(jobName).toAbsolutePath();
        return new ResumePoint(dir.toString(), dir);
    }

    public String root() {
        return root;
    }

    /** Checkpoint directory as Flink wants it (a URI). */
    public String checkpoints() {
        return uri("checkpoints");
    }

    /** Savepoint directory as Flink wants it (a URI). */
    public String savepoints() {
        return uri("savepoints");
    }

    private String uri(String child) {
        return local != null ? local.resolve(child).toUri().toString() : root + "/" + child;
    }

    /**
     * The newest checkpoint or savepoint of this job ({@code chk-N} or {@code savepoint-…}
     * directory) whose offsets belong to {@code clusterId}. With {@code fresh}, or when the state
     * here belongs to another cluster (with a warning on {@code err}), the job's folder is moved
     * aside ({@code <job>.before-<time>}) so that no later run resumes from it either, and the
     * result is empty.
     */
    public Optional<String> latest(String clusterId, boolean fresh, PrintWriter err) {
        if (local == null || !Files.isDirectory(local)) {
            return Optional.empty();
        }
        Path clusterFile = local.resolve(CLUSTER_FILE);
        try {
            String recorded = Files.exists(clusterFile) ? Files.readString(clusterFile, StandardCharsets.UTF_8).trim() : null;
            if (fresh || recorded != null && !recorded.equals(clusterId)) {
                Path aside = local.resolveSibling(local.getFileName() + ".before-" + System.currentTimeMillis());
                Files.move(local, aside);
                if (!fresh) {
                    err.println("warning: the checkpoints in " + local + " hold offsets of another Kafka cluster ("
                            + recorded + ", now " + clusterId + "): starting fresh (they are kept in " + aside + "). A "
                            + "store written by that run may disagree with this one; delete the whole data directory to "
                            + "start afresh consistently.");
                    err.flush();
                }
                return Optional.empty();
            }
            try (Stream<Path> files = Files.find(local, 4, (p, a) -> p.getFileName().toString().equals(METADATA))) {
                return files.max(Comparator.comparing(ResumePoint::modified)).map(p -> p.getParent().toUri().toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot search " + local + " for checkpoints", e);
        }
    }

    /** Notes whose offsets the checkpoints written from now on hold. */
    public void recordCluster(String clusterId) {
        if (local == null) {
            return;
        }
        try {
            Files.createDirectories(local);
            Files.writeString(local.resolve(CLUSTER_FILE), clusterId + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + local.resolve(CLUSTER_FILE), e);
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
