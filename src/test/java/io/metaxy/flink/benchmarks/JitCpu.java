package io.metaxy.flink.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of a process's JIT compiler threads against all of its threads, from Linux's
 * {@code /proc/<pid>/task/<tid>/stat}, so the harness can tell when a job's JIT has settled.
 *
 * <pre>{@code
 * long[] before = JitCpu.of(pid);
 * // ... load ...
 * double share = JitCpu.share(before, JitCpu.of(pid)); // 0.22: the JIT took 22% of the CPU
 * }</pre>
 */
final class JitCpu {
    /** Linux's clock ticks per second of {@code /proc/.../stat} (USER_HZ, 100 on every kernel this runs on). */
    static final double TICKS_PER_S = 100.0;

    private JitCpu() {
    }

    /** {compiler threads' CPU ticks, all threads' CPU ticks}; zeros where /proc is not there. */
    static long[] of(long pid) {
        long jit = 0;
        long all = 0;
        Path tasks = Path.of("/proc", String.valueOf(pid), "task");
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
            for (Path task : dirs) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    // comm is in parentheses and may hold spaces: the fields follow the last ')'.
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                    all += ticks;
                    if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
                        jit += ticks;
                    }
                } catch (IOException | RuntimeException e) {
                    // a thread that ended between the listing and the read
                }
            }
        } catch (IOException e) {
            return new long[] {0, 0};
        }
        return new long[] {jit, all};
    }

    /**
     * The JIT's share of the process's CPU between two readings. Compiler threads come and go
     * (Java sizes their number to the queue), so a thread that ended takes its ticks with it: the
     * share is a lower bound, floored at 0.
     */
    static double share(long[] before, long[] after) {
        long all = after[1] - before[1];
        return all <= 0 ? 0 : Math.max(0, after[0] - before[0]) / (double) all;
    }
}
