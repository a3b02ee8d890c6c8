package io.canopy.content.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.CorruptBlockException;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.importer.Layout;
import io.canopy.content.importer.TestData;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExporterTest {
  private final MemoryBlockstore store = new MemoryBlockstore();
  private final Exporter exporter = new Exporter(store);

  private Cid add(byte[] data, ImportOptions options) throws IOException {
    return new Importer(store::put, options).importFile(new ByteArrayInputStream(data)).cid();
  }

  private byte[] cat(Cid cid, long offset, long length) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    exporter.cat(cid, offset, length, out);
    return out.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 1023, 1024, 1025, 50_000, 300_000})
  void catReturnsWhatWasAddedInEveryLayout(int size) throws IOException {
    byte[] data = TestData.lcg(size);
    for (ImportOptions options :
        List.of(
            ImportOptions.builder().chunkSize(1024).maxLinks(4).build(),
            ImportOptions.builder().chunkSize(1024).maxLinks(4).cidVersion(1).build(),
            ImportOptions.builder().chunkSize(1024).layout(Layout.TRICKLE).maxLinks(3).build(),
            ImportOptions.builder().chunkSize(1024).layout(Layout.TRICKLE).rawLeaves(true).build())) {
      Cid cid = add(data, options);
      assertThat(cat(cid, 0, -1)).isEqualTo(data);
      assertThat(exporter.fileSize(cid)).isEqualTo(size);
    }
  }

  /** Property: for random sizes, layouts and ranges (fixed seed), cat returns exactly the slice. */
  @Test
  void rangesReturnExactlyTheSlice() throws IOException {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 300; i++) {
      int size = random.nextInt(20_001);
      long offset = random.nextInt(4) == 0 ? size : random.nextLong(21_001);
      long length = random.nextInt(5) == 0 ? -1 : random.nextLong(21_001);
      checkRange(size, offset, length, random.nextBoolean());
    }
  }

  private void checkRange(int size, long offset, long length, boolean trickle) throws IOException {
    byte[] data = TestData.lcg(size);
    ImportOptions options =
        ImportOptions.builder().chunkSize(100).maxLinks(5).layout(trickle ? Layout.TRICKLE : Layout.BALANCED).build();
    Cid cid = add(data, options);
    if (offset > size) {
      assertThatThrownBy(() -> cat(cid, offset, length)).hasMessageContaining("past the end");
      return;
    }
    int end = (int) (length < 0 ? size : Math.min(size, offset + length));
    assertThat(cat(cid, offset, length)).isEqualTo(Arrays.copyOfRange(data, (int) offset, end));
  }

  @Test
  void rangeReadSkipsEarlierLeaves() throws IOException {
    byte[] data = TestData.lcg(100 * 1024);
    Cid cid = add(data, ImportOptions.builder().chunkSize(1024).build());
    // Remove every leaf before the range: a range read that needed them would fail.
    io.canopy.content.dagpb.PbNode root = io.canopy.content.dagpb.DagPb.decode(store.get(cid));
    for (int i = 0; i < 50; i++) {
      store.delete(root.links().get(i).hash());
    }
    assertThat(cat(cid, 60 * 1024 + 7, 5000)).isEqualTo(Arrays.copyOfRange(data, 60 * 1024 + 7, 60 * 1024 + 7 + 5000));
    assertThatThrownBy(() -> cat(cid, 0, 10)).isInstanceOf(BlockNotFoundException.class);
  }

  @Test
  void corruptBlockIsAnErrorNamingItNeverWrongBytes() throws IOException {
    byte[] data = TestData.lcg(10_000);
    Cid cid = add(data, ImportOptions.builder().chunkSize(1000).build());
    Cid leaf = io.canopy.content.dagpb.DagPb.decode(store.get(cid)).links().get(3).hash();
    byte[] bad = store.get(leaf);
    bad[bad.length - 1] ^= 1;
    store.corrupt(leaf, bad);
    assertThatThrownBy(() -> cat(cid, 0, -1))
        .isInstanceOf(CorruptBlockException.class)
        .hasMessageContaining(leaf.toString());
  }

  @Test
  void directoriesResolvePathsFlatAndSharded(@TempDir Path tmp) throws IOException {
    Path root = tmp.resolve("site");
    Files.createDirectories(root.resolve("a/b"));
    Files.createDirectories(root.resolve("empty"));
    Files.writeString(root.resolve("a/b/c.txt"), "deep");
    Files.writeString(root.resolve("top.txt"), "top");
    Files.writeString(root.resolve(".hidden"), "skipped");
    for (int i = 0; i < 300; i++) {
      Files.writeString(root.resolve("a/file-" + i), "content " + i);
    }
    // A low threshold makes "a" a HAMT with sub-shards without thousands of files.
    for (ImportOptions options : List.of(ImportOptions.defaults(), ImportOptions.builder().hamtThreshold(1000).build())) {
      List<ImportResult> results = new Importer(store::put, options).importPaths(List.of(root));
      ImportResult last = results.get(results.size() - 1);
      assertThat(last.name()).isEqualTo("site");
      Cid site = last.cid();
      assertThat(cat(exporter.resolve(site + "/a/b/c.txt").cid(), 0, -1)).asString().isEqualTo("deep");
      assertThat(cat(exporter.resolve("/ipfs/" + site + "/a/file-299").cid(), 0, -1)).asString().isEqualTo("content 299");
      assertThat(exporter.resolve(site + "/a").type())
          .isEqualTo(options.hamtThreshold() == 1000 ? UnixFsType.HAMT_SHARD : UnixFsType.DIRECTORY);
      assertThat(exporter.list(exporter.resolve(site + "/a").cid())).hasSize(301);
      assertThatThrownBy(() -> exporter.resolve(site + "/a/nope")).isInstanceOf(PathNotFoundException.class).hasMessageContaining("nope");
      assertThatThrownBy(() -> exporter.resolve(site + "/top.txt/x")).isInstanceOf(PathNotFoundException.class);
      assertThatThrownBy(() -> exporter.resolve(site + "/.hidden")).isInstanceOf(PathNotFoundException.class);

      Path out = tmp.resolve("out-" + options.hamtThreshold());
      exporter.get(site, out);
      assertThat(out.resolve("a/b/c.txt")).hasContent("deep");
      assertThat(out.resolve("a/file-17")).hasContent("content 17");
      assertThat(out.resolve("empty")).isEmptyDirectory();
      assertThat(out.resolve(".hidden")).doesNotExist();
    }
  }

  @Test
  void printsFilesThenDirectoriesWithKuboNames(@TempDir Path tmp) throws IOException {
    Path root = tmp.resolve("d");
    Files.createDirectories(root.resolve("sub"));
    Files.writeString(root.resolve("z.txt"), "z");
    Files.writeString(root.resolve("sub/b.txt"), "b");
    List<String> names =
        new Importer(store::put, ImportOptions.defaults()).importPaths(List.of(root)).stream().map(ImportResult::name).toList();
    assertThat(names).containsExactly("d/sub/b.txt", "d/z.txt", "d/sub", "d");
    List<ImportResult> wrapped =
        new Importer(store::put, ImportOptions.builder().wrapWithDirectory(true).build()).importPaths(List.of(root.resolve("z.txt")));
    assertThat(wrapped).extracting(ImportResult::name).containsExactly("z.txt", "");
    assertThat(cat(exporter.resolve(wrapped.get(1).cid() + "/z.txt").cid(), 0, -1)).asString().isEqualTo("z");
  }

  @Test
  void symlinksAreStoredAsSymlinks(@TempDir Path tmp) throws IOException {
    Path root = tmp.resolve("l");
    Files.createDirectories(root);
    Files.writeString(root.resolve("target.txt"), "t");
    Files.createSymbolicLink(root.resolve("link"), Path.of("target.txt"));
    List<ImportResult> results = new Importer(store::put, ImportOptions.defaults()).importPaths(List.of(root));
    Cid dir = results.get(results.size() - 1).cid();
    assertThat(exporter.resolve(dir + "/link").type()).isEqualTo(UnixFsType.SYMLINK);
    Path out = tmp.resolve("out");
    exporter.get(dir, out);
    assertThat(Files.readSymbolicLink(out.resolve("link"))).isEqualTo(Path.of("target.txt"));
    assertThatThrownBy(() -> cat(exporter.resolve(dir + "/link").cid(), 0, -1)).hasMessageContaining("symlink");
  }

  @Test
  void badInputGivesClearErrors() throws IOException {
    assertThatThrownBy(() -> exporter.resolve("not-a-cid")).isInstanceOf(InvalidCidException.class).hasMessageContaining("not-a-cid");
    Cid absent = Cid.parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
    assertThatThrownBy(() -> exporter.resolve(absent.toString()))
        .isInstanceOf(BlockNotFoundException.class)
        .hasMessageContaining(absent.toString());
    Cid dir = new Importer(store::put, ImportOptions.defaults()).importPaths(List.of(Files.createTempDirectory("x"))).get(0).cid();
    assertThatThrownBy(() -> cat(dir, 0, -1)).hasMessageContaining("is a directory");
    Cid text = add("hello".getBytes(StandardCharsets.UTF_8), ImportOptions.defaults());
    assertThatThrownBy(() -> cat(text, -1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
