package io.canopy.content.importer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImporterFailureTest {
  @Test
  void aFailingBlockWriteFailsTheImportWithItsOwnError() {
    AtomicInteger puts = new AtomicInteger();
    BlockSink fullDisk = block -> {
      if (puts.incrementAndGet() > 5) {
        throw new IOException("No space left on device");
      }
    };
    Importer importer = new Importer(fullDisk, ImportOptions.builder().chunkSize(1024).build());
    assertThatThrownBy(() -> importer.importFile(new ByteArrayInputStream(TestData.lcg(100 * 1024))))
        .isInstanceOf(IOException.class)
        .hasMessage("No space left on device");
  }

  @Test
  void aFailingReadNamesTheFile(@TempDir Path tmp) throws IOException {
    Path missing = tmp.resolve("gone.txt");
    assertThatThrownBy(() -> new Importer(BlockSink.DISCARD, ImportOptions.defaults()).importPaths(List.of(missing)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("gone.txt");
    InputStream broken = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("Input/output error");
      }
    };
    assertThatThrownBy(() -> new Importer(BlockSink.DISCARD, ImportOptions.defaults()).importFile(broken))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Input/output error");
  }
}
