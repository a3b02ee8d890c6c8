package io.canopy.content.blockstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.dag.TestBlocks;
import io.canopy.multiformats.Cid;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real kill -9 of a process in the middle of writing blocks (about a second: starts a JVM). */
@Tag("integration")
class FileBlockstoreCrashTest {
  @TempDir Path dir;

  @Test
  void aProcessKilledWhileWritingLeavesNoTornBlockAndTheStoreKeepsWorking() throws Exception {
    Path blocks = dir.resolve("blocks");
    Process writer = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            BlockWritingProcess.class.getName(), blocks.toString(), "42")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    List<Cid> acknowledged = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
      // Let a few puts complete, then kill while the next one is (very likely) being written.
      while (acknowledged.size() < 5) {
        String line = out.readLine();
        assertThat(line).as("writer process output").isNotNull();
        acknowledged.add(Cid.parse(line.substring("stored ".length())));
      }
      // SIGKILL: no shutdown hooks, no finally blocks. (It also closes our end of its output, so
      // puts acknowledged after the last line we read go unchecked; they are checked as blocks.)
      writer.destroyForcibly();
      assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    FileBlockstore reopened = FileBlockstore.open(blocks);

    try (Stream<Path> files = Files.walk(blocks)) {
      assertThat(files.map(Path::toString)).noneMatch(name -> name.endsWith(FileBlockstore.TEMP_SUFFIX));
    }
    List<Cid> stored;
    try (Stream<Cid> keys = reopened.keys()) {
      stored = keys.toList();
    }
    assertThat(stored).containsAll(acknowledged); // every put that returned is there
    for (Cid cid : stored) {
      assertThat(reopened.getVerified(cid)).hasSize(1024 * 1024); // and nothing is torn
    }
    Block next = TestBlocks.raw("the next add");
    reopened.put(next);
    assertThat(reopened.getVerified(next.cid())).isEqualTo(next.data());
  }
}
