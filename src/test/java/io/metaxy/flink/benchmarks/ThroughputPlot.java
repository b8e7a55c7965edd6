package io.metaxy.flink.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.imageio.ImageIO;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Draws {@code bench/throughput.png}: throughput, freshness and the time to surface a 10% change,
 * each against the sample count, from the per-size harness results ({@code bench/results-<size>.json}).
 *
 * <p>Java2D rather than a plotting library: the harness machines have a JDK but no Python
 * plotting stack, and a figure that cannot be redrawn where it is measured goes stale.
 *
 * <pre>{@code
 * bench/plot          # java ... io.metaxy.flink.benchmarks.ThroughputPlot bench
 * }</pre>
 */
public final class ThroughputPlot {

    private static final int PANEL_W = 620;
    private static final int PANEL_H = 520;
    private static final int LEFT = 80;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;
    private static final int LEGEND_LINE = 16;

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)
    };

    /** One panel: named series of (samples, value) points, axes, an optional horizontal target. */
    private record Panel(String title, String yLabel, boolean logY, Map<String, String> series, Double target,
            String targetLabel) {}

    private static final List<Panel> PANELS = List.of(
            new Panel("Throughput (same-run baselines)", "events/s (wide: samples/s)", true, series(
                    "stream.simple.new.events_per_s", "stream simple new (store on)",
                    "stream.simple.new.events_per_s.nostore", "stream simple new (--no-store)",
                    "stream.simple.stale.events_per_s", "stream simple stale (store on)",
                    "stream.wide.new.events_per_s", "stream wide new (store on)",
                    "sql.simple.new.events_per_s", "Flink SQL simple new",
                    "sql.wide.new.events_per_s", "Flink SQL wide new",
                    "ceiling.passthrough.events_per_s", "pass-through ceiling"), null, null),
            new Panel("Freshness, append -> increment readable", "ms", false, series(
                    "latency.p50_ms", "p50 exactly-once",
                    "latency.p99_ms", "p99 exactly-once",
                    "latency.at_least_once.p99_ms", "p99 at-least-once"),
                    1100.0, "target p99 exactly-once (1 s checkpoint + 100 ms)"),
            new Panel("Surfacing a 10% change: stream vs batch", "s", true, series(
                    "stream.simple.stale.surface_s", "stream: 10% change surfaced (paced, after its last row)",
                    "stream.simple.stale.bulk_s", "stream: 10% change sent in bulk",
                    "batch.duckdb.simple.resolve_s", "batch resolveUpdate of the whole store"), null, null));

    private ThroughputPlot() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench");
        List<Map<String, Double>> runs = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (Path f : resultFiles(dir)) {
            Map<String, Double> values = new LinkedHashMap<>();
            long size = 0;
            for (JsonNode r : new ObjectMapper().readTree(f.toFile())) {
                String name = r.get("name").asText();
                if (r.hasNonNull("value")) {
                    values.put(name, r.get("value").asDouble());
                }
                // A run's size is the sample count of its headline figure, as in bench/merge.
                if (name.equals("stream.simple.new.events_per_s") && r.hasNonNull("samples")) {
                    size = r.get("samples").asLong();
                }
            }
            if (size > 0) {
                runs.add(values);
                sizes.add(size);
            }
        }
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no results-<size>.json with stream.simple.new.events_per_s in " + dir);
        }
        BufferedImage image = new BufferedImage(PANEL_W * PANELS.size(), PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        for (int i = 0; i < PANELS.size(); i++) {
            Graphics2D panel = (Graphics2D) g.create(i * PANEL_W, 0, PANEL_W, PANEL_H);
            draw(panel, PANELS.get(i), runs, sizes);
            panel.dispose();
        }
        g.dispose();
        Path out = dir.resolve("throughput.png");
        ImageIO.write(image, "png", out.toFile());
        System.out.println(out);
    }

    private static List<Path> resultFiles(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "results-*.json")) {
            ds.forEach(files::add);
        }
        if (files.isEmpty()) {
            files.add(dir.resolve("results.json"));
        }
        files.sort(null);
        return files;
    }

    private static void draw(Graphics2D g, Panel p, List<Map<String, Double>> runs, List<Long> sizes) {
        Map<String, TreeMap<Long, Double>> points = new LinkedHashMap<>();
        for (String name : p.series().keySet()) {
            TreeMap<Long, Double> pts = new TreeMap<>();
            for (int r = 0; r < runs.size(); r++) {
                Double v = runs.get(r).get(name);
                if (v != null && (!p.logY() || v > 0)) {
                    pts.put(sizes.get(r), v);
                }
            }
            points.put(name, pts);
        }
        double xMin = Math.log10(sizes.stream().mapToLong(Long::longValue).min().orElseThrow()) - 0.15;
        double xMax = Math.log10(sizes.stream().mapToLong(Long::longValue).max().orElseThrow()) + 0.15;
        double yMin = Double.MAX_VALUE;
        double yMax = -Double.MAX_VALUE;
        for (TreeMap<Long, Double> pts : points.values()) {
            for (double v : pts.values()) {
                yMin = Math.min(yMin, v);
                yMax = Math.max(yMax, v);
            }
        }
        if (p.target() != null) {
            yMin = Math.min(yMin, p.target());
            yMax = Math.max(yMax, p.target());
        }
        if (yMin > yMax) {
            return;
        }
        if (p.logY()) {
            yMin = Math.floor(Math.log10(yMin));
            yMax = Math.ceil(Math.log10(yMax));
        } else {
            yMin = 0;
            yMax = yMax * 1.1;
        }
        Axes axes = new Axes(xMin, xMax, yMin, yMax, p.logY());

        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(Color.BLACK);
        g.drawString(p.title(), LEFT, TOP - 14);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(new Color(0xdddddd));
        for (long s = 10_000; s <= 100_000_000; s *= 10) {
            if (Math.log10(s) >= xMin && Math.log10(s) <= xMax) {
                int x = axes.x(s);
                g.setColor(new Color(0xdddddd));
                g.drawLine(x, TOP, x, PANEL_H - BOTTOM);
                g.setColor(Color.BLACK);
                g.drawString(sampleLabel(s), x - 12, PANEL_H - BOTTOM + 16);
            }
        }
        for (double tick : axes.yTicks()) {
            int y = axes.y(tick);
            g.setColor(new Color(0xdddddd));
            g.drawLine(LEFT, y, PANEL_W - RIGHT, y);
            g.setColor(Color.BLACK);
            String label = valueLabel(tick);
            g.drawString(label, LEFT - 6 - g.getFontMetrics().stringWidth(label), y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM);
        g.drawString("samples", PANEL_W / 2 - 20, PANEL_H - BOTTOM + 34);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(p.yLabel(), -(PANEL_H / 2) - 40, 16);
        g.setTransform(saved);

        int legendY = TOP + 14;
        int colour = 0;
        for (Map.Entry<String, TreeMap<Long, Double>> e : points.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            g.setColor(PALETTE[colour++ % PALETTE.length]);
            g.setStroke(new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (Map.Entry<Long, Double> pt : e.getValue().entrySet()) {
                int x = axes.x(pt.getKey());
                int y = axes.y(pt.getValue());
                g.fillOval(x - 4, y - 4, 8, 8);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.drawLine(LEFT + 8, legendY - 4, LEFT + 28, legendY - 4);
            g.drawString(p.series().get(e.getKey()), LEFT + 34, legendY);
            legendY += LEGEND_LINE;
        }
        if (p.target() != null) {
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            int y = axes.y(p.target());
            g.drawLine(LEFT, y, PANEL_W - RIGHT, y);
            g.drawLine(LEFT + 8, legendY - 4, LEFT + 28, legendY - 4);
            g.drawString(p.targetLabel(), LEFT + 34, legendY);
        }
    }

    /** Data to pixel: log10 on x (sample counts), log10 or linear on y. */
    private record Axes(double xMin, double xMax, double yMin, double yMax, boolean logY) {
        int x(double samples) {
            return LEFT + (int) Math.round((Math.log10(samples) - xMin) / (xMax - xMin) * (PANEL_W - LEFT - RIGHT));
        }

        int y(double value) {
            double v = logY ? Math.log10(value) : value;
            return PANEL_H - BOTTOM - (int) Math.round((v - yMin) / (yMax - yMin) * (PANEL_H - TOP - BOTTOM));
        }

        List<Double> yTicks() {
            List<Double> ticks = new ArrayList<>();
            if (logY) {
                for (double e = yMin; e <= yMax; e++) {
                    ticks.add(Math.pow(10, e));
                }
            } else {
                double step = Math.pow(10, Math.floor(Math.log10(yMax / 2)));
                for (double t = 0; t <= yMax; t += step) {
                    ticks.add(t);
                }
            }
            return ticks;
        }
    }

    private static Map<String, String> series(String... namesAndLabels) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndLabels.length; i += 2) {
            m.put(namesAndLabels[i], namesAndLabels[i + 1]);
        }
        return m;
    }

    private static String sampleLabel(long s) {
        return s >= 1_000_000 ? (s / 1_000_000) + "M" : (s / 1_000) + "k";
    }

    private static String valueLabel(double v) {
        if (v >= 1_000_000) {
            return String.format("%.0fM", v / 1_000_000);
        }
        if (v >= 1_000) {
            // Linear axes tick every 100 or 200 above 1k: keep the digit that tells them apart.
            return v % 1_000 == 0 ? String.format("%.0fk", v / 1_000) : String.format("%.1fk", v / 1_000);
        }
        return v >= 1 || v == 0 ? String.format("%.0f", v) : String.format("%.1f", v);
    }
}
