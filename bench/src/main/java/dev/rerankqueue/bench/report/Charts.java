package dev.rerankqueue.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The PNG charts of the benchmark report, drawn with JFreeChart in headless AWT: one or more panels
 * of line series that share an x axis (load, time, workers).
 */
public final class Charts {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private static final Color[] COLORS = {
        new Color(0x1f77b4),
        new Color(0xd62728),
        new Color(0x2ca02c),
        new Color(0x9467bd),
        new Color(0xff7f0e),
        new Color(0x7f7f7f)
    };

    /** One line: points in the order they were measured. */
    public static final class Series {
        private final String name;
        private final List<double[]> points = new ArrayList<>();
        private final boolean dashed;

        public Series(String name) {
            this(name, false);
        }

        public Series(String name, boolean dashed) {
            this.name = name;
            this.dashed = dashed;
        }

        public synchronized Series add(double x, double y) {
            points.add(new double[] {x, y});
            return this;
        }

        public synchronized int size() {
            return points.size();
        }

        synchronized XYSeries toXy() {
            XYSeries s = new XYSeries(name, false, true);
            for (double[] p : points) {
                s.add(p[0], p[1]);
            }
            return s;
        }
    }

    /** One panel: a y axis and its series. */
    public record Panel(String yLabel, List<Series> series) {}

    private Charts() {}

    /**
     * Writes a chart of {@code panels} stacked over one x axis to {@code file} (800 px wide, 300 px
     * a panel); returns the file. {@code markPoints}: a few measured points of a counted x
     * (workers, clients), marked, on whole-number ticks; otherwise a time line.
     */
    public static Path write(
            Path file, String title, String xLabel, boolean markPoints, Panel... panels) {
        NumberAxis x = new NumberAxis(xLabel);
        if (markPoints) {
            x.setStandardTickUnits(
                    NumberAxis.createIntegerTickUnits()); // counted things: workers, clients
        }
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(x);
        plot.setGap(12);
        for (Panel panel : panels) {
            XYSeriesCollection data = new XYSeriesCollection();
            XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, markPoints);
            for (int i = 0; i < panel.series().size(); i++) {
                Series s = panel.series().get(i);
                data.addSeries(s.toXy());
                renderer.setSeriesPaint(i, COLORS[i % COLORS.length]);
                renderer.setSeriesStroke(
                        i,
                        s.dashed
                                ? new BasicStroke(
                                        2f,
                                        BasicStroke.CAP_BUTT,
                                        BasicStroke.JOIN_MITER,
                                        10f,
                                        new float[] {6f, 4f},
                                        0f)
                                : new BasicStroke(2f));
            }
            NumberAxis y = new NumberAxis(panel.yLabel());
            y.setAutoRangeIncludesZero(true);
            XYPlot sub = new XYPlot(data, null, y, renderer);
            sub.setBackgroundPaint(Color.WHITE);
            sub.setDomainGridlinePaint(Color.LIGHT_GRAY);
            sub.setRangeGridlinePaint(Color.LIGHT_GRAY);
            plot.add(sub, 1);
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            ChartUtils.saveChartAsPNG(file.toFile(), chart, 800, 120 + 300 * panels.length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the chart " + file, e);
        }
        return file;
    }
}
