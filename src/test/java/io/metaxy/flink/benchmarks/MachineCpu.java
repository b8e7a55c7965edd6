package io.metaxy.flink.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The whole machine's CPU time from Linux's {@code /proc/stat}, so every phase of the harness
 * (the product job, the pass-through ceiling and the SQL baseline, which run in different JVMs)
 * can be charged on one scale: CPU per record of everything on the machine, the broker and the
 * harness's own producer and consumer included. On two shared cores a job's rate is bounded by
 * {@code cores / cpu per record}, so the ratio of two phases' CPU per record is the bound on
 * their throughput ratio that no scheduling can beat. The hypervisor's steal is read beside it:
 * it is the share the host's neighbours took and says how much to trust a rate measured then.
 *
 * <pre>{@code
 * long[] before = MachineCpu.read();
 * // ... a phase of n records ...
 * double us = MachineCpu.busyMicros(before, MachineCpu.read()) / n;
 * }</pre>
 */
final class MachineCpu {
    private MachineCpu() {
    }

    /** {busy ticks (user, nice, system, irq, softirq), steal ticks, all ticks}; zeros where /proc is not there. */
    static long[] read() {
        try {
            String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = cpu.trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal (guest time is already in user)
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7}) {
                busy += Long.parseLong(f[i]);
            }
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            long all = busy + steal + Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {busy, steal, all};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0, 0};
        }
    }

    /** Microseconds of CPU the machine was busy between two readings. */
    static double busyMicros(long[] before, long[] after) {
        return (after[0] - before[0]) * 1e6 / JitCpu.TICKS_PER_S;
    }

    /** The hypervisor's share of the machine's time between two readings (0 where none was reported). */
    static double stealShare(long[] before, long[] after) {
        long all = after[2] - before[2];
        return all <= 0 ? 0 : (after[1] - before[1]) / (double) all;
    }

    /** The share of the machine's time it was busy between two readings: 1.0 is every core all the time. */
    static double busyShare(long[] before, long[] after) {
        long all = after[2] - before[2];
        return all <= 0 ? 0 : (after[0] - before[0]) / (double) all;
    }
}
