package dev.rerankqueue.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {

    @Test
    void writesAPngOfOneRowPerPanelWithTheSeriesDrawn(@TempDir Path dir) throws Exception {
        Charts.Series rising = new Charts.Series("rising").add(10, 100).add(30, 300).add(100, 900);
        Charts.Series ideal = new Charts.Series("ideal", true).add(10, 100).add(100, 1000);
        Charts.Series latency = new Charts.Series("p99").add(10, 50).add(30, 80).add(100, 400);

        Path file =
                Charts.write(
                        dir.resolve("charts/seed.png"),
                        "throughput and latency",
                        "clients",
                        true,
                        new Charts.Panel("requests/s", List.of(rising, ideal)),
                        new Charts.Panel("ms", List.of(latency)));

        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(800, image.getWidth());
        assertEquals(120 + 2 * 300, image.getHeight());
        // the first series' colour is on the image: the lines were drawn, not only the axes
        boolean blue = false;
        for (int x = 0; x < image.getWidth() && !blue; x++) {
            for (int y = 0; y < image.getHeight() && !blue; y++) {
                blue = (image.getRGB(x, y) & 0xffffff) == 0x1f77b4;
            }
        }
        assertTrue(blue, "no pixel of the first series' colour");
    }
}
