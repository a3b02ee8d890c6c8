package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressBarTest {
  @TempDir Path tmp;

  @Test
  void drawsSizesBarAndPercent() {
    assertThat(ProgressBar.line(0, 4L << 20)).isEqualTo("0 B / 4.0 MiB [>                             ]   0%");
    assertThat(ProgressBar.line(1L << 20, 4L << 20)).isEqualTo("1.0 MiB / 4.0 MiB [=======>                      ]  25%");
    assertThat(ProgressBar.line(5L << 20, 4L << 20)).isEqualTo("4.0 MiB / 4.0 MiB [==============================] 100%");
  }

  @Test
  void redrawsAtMostEveryTenthOfASecondAndEndsTheLine() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    AtomicLong clock = new AtomicLong();
    ProgressBar bar = new ProgressBar(new PrintStream(err, true, StandardCharsets.UTF_8), 1000, clock::get);

    bar.accept(100); // first call draws
    clock.addAndGet(50_000_000);
    bar.accept(100); // 50 ms later: skipped
    clock.addAndGet(60_000_000);
    bar.accept(100); // 110 ms after the first draw: drawn
    bar.finish();

    String out = err.toString(StandardCharsets.UTF_8);
    assertThat(out.chars().filter(c -> c == '\r').count()).isEqualTo(3);
    assertThat(out).contains(" 10%", " 30%").doesNotContain(" 20%").endsWith(" 30%\n");
  }

  @Test
  void addShowsNoBarWhenStderrIsNotATerminal() throws Exception {
    CliRun cli = new CliRun(tmp, tmp);
    Files.write(tmp.resolve("big.bin"), new byte[(int) ProgressBar.THRESHOLD_BYTES]);

    CliRun.Result plain = cli.run("add", "-n", "big.bin").ok();
    CliRun.Result watched = cli.interactive(true).run("add", "-n", "big.bin").ok();

    assertThat(plain.stderr()).isEmpty();
    assertThat(watched.stderr()).contains("\r", "16.0 MiB / 16.0 MiB", "100%").endsWith("\n");
    assertThat(watched.out()).isEqualTo(plain.out());
  }
}
