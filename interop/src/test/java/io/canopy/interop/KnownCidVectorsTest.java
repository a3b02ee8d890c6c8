package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.importer.Layout;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fixed CIDs that Kubo's {@code ipfs add} prints, checked without Node. The first group is
 * published in the IPFS specs and docs and quoted all over the ecosystem; the rest were computed
 * with the reference (interop/js/unixfs-cids.mjs) and, where the DAG is a single raw block,
 * re-derived by hand as CIDv1(raw, sha2-256(bytes)).
 */
class KnownCidVectorsTest {
  private static final byte[] HELLO_WORLD_NL = "hello world\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HELLO_WORLD = "hello world".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path tmp;

  // --- well-known vectors ---------------------------------------------------------------------

  @Test
  void emptyFileUnderKuboDefaults() throws IOException {
    ImportResult r = importBytes(new byte[0], options(0, null, Layout.BALANCED, false));
    assertThat(r.cid()).hasToString("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
    assertThat(r.size()).isEqualTo(6); // 0a 04 08 02 18 00
    assertThat(r.fileSize()).isZero();
  }

  @Test
  void emptyDirectory() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("empty"));
    assertThat(root(dir, options(0, null, Layout.BALANCED, false)).cid())
        .hasToString("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  }

  @Test
  void emptyDirectoryCidV1() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("empty"));
    Cid cid = root(dir, options(1, null, Layout.BALANCED, false)).cid();
    assertThat(cid).hasToString("bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
    assertThat(cid.toV0()).hasToString("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  }

  @Test
  void helloWorldWithNewline() throws IOException {
    // `echo "hello world" | ipfs add`
    assertThat(importBytes(HELLO_WORLD_NL, options(0, null, Layout.BALANCED, false)).cid())
        .hasToString("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  }

  @Test
  void helloWorldWithoutNewline() throws IOException {
    // `printf 'hello world' | ipfs add`
    assertThat(importBytes(HELLO_WORLD, options(0, null, Layout.BALANCED, false)).cid())
        .hasToString("Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
  }

  // --- single raw blocks: CIDv1(raw, sha2-256(content)) ------------------------------------------

  @Test
  void emptyFileCidV1IsTheEmptyRawBlock() throws IOException {
    Cid cid = importBytes(new byte[0], options(1, null, Layout.BALANCED, false)).cid();
    assertThat(cid).hasToString("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    assertThat(cid).isEqualTo(Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, new byte[0]));
  }

  @Test
  void emptyFileWithRawLeavesUnderCidV0IsStillARawV1Block() throws IOException {
    assertThat(importBytes(new byte[0], options(0, true, Layout.BALANCED, false)).cid())
        .hasToString("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  }

  @Test
  void helloWorldCidV1() throws IOException {
    Cid cid = importBytes(HELLO_WORLD_NL, options(1, null, Layout.BALANCED, false)).cid();
    assertThat(cid).hasToString("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
    assertThat(cid).isEqualTo(Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, HELLO_WORLD_NL));
  }

  // --- computed with the reference -------------------------------------------------------------

  @Test
  void helloWorldCidV1WithoutRawLeavesIsTheV0NodeInV1() throws IOException {
    assertThat(importBytes(HELLO_WORLD_NL, options(1, false, Layout.BALANCED, false)).cid().toV0())
        .hasToString("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  }

  @Test
  void trickleEmptyFileIsTheEmptyFileNode() throws IOException {
    // Kubo's trickle adds no leaf for no data: the root is the same linkless File node.
    assertThat(importBytes(new byte[0], options(0, null, Layout.TRICKLE, false)).cid())
        .hasToString("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
    assertThat(importBytes(new byte[0], options(1, null, Layout.TRICKLE, false)).cid())
        .hasToString("bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y");
  }

  @Test
  void trickleHelloWorldIsAFileNodeOverOneRawTypeLeaf() throws IOException {
    ImportResult r = importBytes(HELLO_WORLD_NL, options(0, null, Layout.TRICKLE, false));
    assertThat(r.cid()).hasToString("QmVib14uvPnCP73XaCDpwugRuwfTsVbGyWbatHAmLSdZUS");
    assertThat(r.size()).isEqualTo(70);
  }

  @Test
  void helloWorldWrappedInADirectory() throws IOException {
    // `ipfs add -w hello.txt`
    Path file = Files.write(tmp.resolve("hello.txt"), HELLO_WORLD_NL);
    ImportResult r = root(file, options(0, null, Layout.BALANCED, true));
    assertThat(r.cid()).hasToString("QmfLiVjH2vujCVP2e75zyzBYmpcjktmDeU1YBz6Ct8BBsc");
    assertThat(r.size()).isEqualTo(75);
  }

  // ---------------------------------------------------------------------------------------------

  private static ImportOptions options(int cidVersion, Boolean rawLeaves, Layout layout, boolean wrap) {
    return ImportOptions.builder()
        .cidVersion(cidVersion)
        .rawLeaves(rawLeaves)
        .chunkSize(ImportOptions.DEFAULT_CHUNK_SIZE)
        .layout(layout)
        .wrapWithDirectory(wrap)
        .hash(Multicodec.SHA2_256)
        .build();
  }

  private static ImportResult importBytes(byte[] content, ImportOptions options) throws IOException {
    return new Importer(block -> {}, options).importFile(new ByteArrayInputStream(content));
  }

  private static ImportResult root(Path path, ImportOptions options) throws IOException {
    List<ImportResult> all = new Importer(block -> {}, options).importPaths(List.of(path));
    return all.get(all.size() - 1);
  }
}
