package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.importer.Layout;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Canopy's importer must give the CIDs Kubo's {@code ipfs add} gives. The reference here is
 * ipfs-unixfs-importer (npm, pinned by interop/package-lock.json) driven by
 * {@code js/unixfs-cids.mjs}, which configures it the way Kubo builds DAGs. Inputs are generated
 * from a fixed seed, so every run imports the same bytes.
 *
 * <p>Needs {@code node} on the PATH (or {@code -Dcanopy.node=/path/to/node}) and
 * {@code interop/node_modules} (the build's {@code npm ci}).
 */
@Tag("interop")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UnixFsCidInteropTest {
  private static final int KIB = 1024;
  private static final int CHUNK = 262_144;
  private static final int MAX_LINKS = 174;
  private static final long SEED = 0x0CA10B1E5EEDL;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One {@code ipfs add} invocation: rawLeaves null means Kubo's default for the CID version. */
  record Case(String id, Path path, int cidVersion, Boolean rawLeaves, int chunkSize, Layout layout, boolean wrap) {
    @Override
    public String toString() {
      return id;
    }
  }

  /** What the reference printed for a case. */
  record Expected(String cid, long size) {}

  @TempDir static Path tmp;

  private final List<Case> cases = new ArrayList<>();
  private Map<String, Expected> reference;

  @BeforeAll
  void generateInputsAndRunReference() throws Exception {
    Path files = Files.createDirectories(tmp.resolve("files"));
    SplittableRandom random = new SplittableRandom(SEED);

    Path empty = write(files.resolve("empty"), 0, random);
    Path oneByte = write(files.resolve("one-byte"), 1, random);
    Path chunkExact = write(files.resolve("chunk-exact"), CHUNK, random);
    Path chunkPlusOne = write(files.resolve("chunk-plus-one"), CHUNK + 1, random);
    // 175 default chunks: one more than a root can link, so the balanced tree gets a second level.
    Path twoLevels = write(files.resolve("two-levels"), (long) MAX_LINKS * CHUNK + 1, random);
    Path medium = write(files.resolve("medium"), 1_234_567, random);
    // With 1 KiB chunks: exactly one full node of leaves, and one leaf more.
    Path leaves174 = write(files.resolve("leaves-174"), MAX_LINKS * KIB, random);
    Path leaves175 = write(files.resolve("leaves-175"), (MAX_LINKS + 1) * KIB, random);
    Path trickle12 = write(files.resolve("trickle-1.2MB"), 1_200_000, random);
    // 5001 leaves of 256 bytes: past the root layer (174), the depth-1 (4x174) and depth-2
    // (4x870) subtrees, into the first depth-3 subtree.
    Path trickleDeep = write(files.resolve("trickle-deep"), 5_000 * 256 + 17, random);
    Path wrapped = write(files.resolve("wrapped file.txt"), 1_000, random);

    file("file-empty", empty, 0, null, CHUNK, Layout.BALANCED);
    file("file-empty-v0-raw", empty, 0, true, CHUNK, Layout.BALANCED);
    file("file-empty-v1", empty, 1, null, CHUNK, Layout.BALANCED);
    file("file-1B", oneByte, 0, null, CHUNK, Layout.BALANCED);
    file("file-1B-v1", oneByte, 1, null, CHUNK, Layout.BALANCED);
    file("file-1B-v1-no-raw", oneByte, 1, false, CHUNK, Layout.BALANCED);
    file("file-262144", chunkExact, 0, null, CHUNK, Layout.BALANCED);
    file("file-262144-v1", chunkExact, 1, null, CHUNK, Layout.BALANCED);
    file("file-262145", chunkPlusOne, 0, null, CHUNK, Layout.BALANCED);
    file("file-262145-v1", chunkPlusOne, 1, null, CHUNK, Layout.BALANCED);
    file("file-174x262144+1", twoLevels, 0, null, CHUNK, Layout.BALANCED);
    file("file-174x262144+1-v1", twoLevels, 1, null, CHUNK, Layout.BALANCED);

    file("raw-leaves-v0-default", medium, 0, null, CHUNK, Layout.BALANCED);
    file("raw-leaves-v0-on", medium, 0, true, CHUNK, Layout.BALANCED);
    file("raw-leaves-v0-off", medium, 0, false, CHUNK, Layout.BALANCED);
    file("raw-leaves-v1-default", medium, 1, null, CHUNK, Layout.BALANCED);
    file("raw-leaves-v1-off", medium, 1, false, CHUNK, Layout.BALANCED);
    file("raw-leaves-v1-on", medium, 1, true, CHUNK, Layout.BALANCED);

    file("chunk-1024", medium, 0, null, 1024, Layout.BALANCED);
    file("chunk-1024-v1", medium, 1, null, 1024, Layout.BALANCED);
    file("chunk-12345", medium, 0, null, 12_345, Layout.BALANCED);
    file("chunk-1000000", medium, 0, null, 1_000_000, Layout.BALANCED);
    file("chunk-1048576-v1", medium, 1, null, 1_048_576, Layout.BALANCED);
    file("chunk-1024-174-leaves", leaves174, 0, null, 1024, Layout.BALANCED);
    file("chunk-1024-175-leaves", leaves175, 0, null, 1024, Layout.BALANCED);
    file("chunk-1024-175-leaves-v0-raw", leaves175, 0, true, 1024, Layout.BALANCED);

    file("trickle-empty", empty, 0, null, CHUNK, Layout.TRICKLE);
    file("trickle-empty-v1", empty, 1, null, CHUNK, Layout.TRICKLE);
    file("trickle-1B", oneByte, 0, null, CHUNK, Layout.TRICKLE);
    file("trickle-1B-v1", oneByte, 1, null, CHUNK, Layout.TRICKLE);
    file("trickle-262144", chunkExact, 0, null, CHUNK, Layout.TRICKLE);
    file("trickle-262145", chunkPlusOne, 0, null, CHUNK, Layout.TRICKLE);
    file("trickle-174-leaves", leaves174, 0, null, 1024, Layout.TRICKLE);
    file("trickle-175-leaves", leaves175, 0, null, 1024, Layout.TRICKLE);
    file("trickle-1.2MB-chunk-1024", trickle12, 0, null, 1024, Layout.TRICKLE);
    file("trickle-1.2MB-chunk-1024-v1", trickle12, 1, null, 1024, Layout.TRICKLE);
    file("trickle-1.2MB-chunk-1024-v0-raw", trickle12, 0, true, 1024, Layout.TRICKLE);
    file("trickle-deep-chunk-256", trickleDeep, 0, null, 256, Layout.TRICKLE);
    file("trickle-deep-chunk-256-v1-no-raw", trickleDeep, 1, false, 256, Layout.TRICKLE);
    file("trickle-chunk-1000000", medium, 0, null, 1_000_000, Layout.TRICKLE);

    add("wrap-file", wrapped, 0, null, CHUNK, Layout.BALANCED, true);
    add("wrap-file-v1", wrapped, 1, null, CHUNK, Layout.BALANCED, true);
    add("wrap-empty-file", empty, 0, null, CHUNK, Layout.BALANCED, true);
    add("wrap-multi-chunk-file", chunkPlusOne, 0, null, CHUNK, Layout.BALANCED, true);

    Path emptyDir = Files.createDirectories(tmp.resolve("empty-dir"));
    add("dir-empty", emptyDir, 0, null, CHUNK, Layout.BALANCED, false);
    add("dir-empty-v1", emptyDir, 1, null, CHUNK, Layout.BALANCED, false);
    add("dir-empty-wrapped", emptyDir, 0, null, CHUNK, Layout.BALANCED, true);

    Path nested = nestedTree(tmp.resolve("nested"), random);
    add("dir-nested", nested, 0, null, CHUNK, Layout.BALANCED, false);
    add("dir-nested-v1", nested, 1, null, CHUNK, Layout.BALANCED, false);
    add("dir-nested-v0-raw", nested, 0, true, CHUNK, Layout.BALANCED, false);
    add("dir-nested-v1-no-raw", nested, 1, false, CHUNK, Layout.BALANCED, false);
    add("dir-nested-trickle", nested, 0, null, CHUNK, Layout.TRICKLE, false);
    add("dir-nested-chunk-1024", nested, 0, null, 1024, Layout.BALANCED, false);
    add("dir-nested-wrapped", nested, 0, null, CHUNK, Layout.BALANCED, true);

    // HAMT threshold: sum over entries of (name bytes + CID bytes) > 262144 shards the directory.
    // 4096 entries x (30-byte name + 34-byte CIDv0) = 262144 exactly: stays flat.
    Path flatLimit = hamtDir(tmp.resolve("flat-limit"), 4_096, 0, false);
    // One name one byte longer: 262145, sharded.
    Path hamtLimit = hamtDir(tmp.resolve("hamt-limit"), 4_095, 1, false);
    // Comfortably sharded, with a sub-directory (holding an empty dir and an empty file) as an entry.
    Path hamtMixed = hamtDir(tmp.resolve("hamt-mixed"), 4_199, 0, true);
    add("hamt-flat-at-threshold", flatLimit, 0, null, CHUNK, Layout.BALANCED, false);
    // Same entries with 36-byte CIDs (raw leaves): 4096 x 66 = 270336, sharded.
    add("hamt-threshold-v1", flatLimit, 1, null, CHUNK, Layout.BALANCED, false);
    add("hamt-threshold-v0-raw", flatLimit, 0, true, CHUNK, Layout.BALANCED, false);
    add("hamt-one-byte-over", hamtLimit, 0, null, CHUNK, Layout.BALANCED, false);
    add("hamt-one-byte-over-wrapped", hamtLimit, 0, null, CHUNK, Layout.BALANCED, true);
    add("hamt-mixed", hamtMixed, 0, null, CHUNK, Layout.BALANCED, false);
    add("hamt-mixed-v1", hamtMixed, 1, null, CHUNK, Layout.BALANCED, false);

    reference = runReference(cases);
  }

  Stream<Case> cases() {
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void sameCidAsKubo(Case c) throws IOException {
    Expected expected = reference.get(c.id());
    assertThat(expected).as("reference result for %s", c.id()).isNotNull();

    List<ImportResult> results = new Importer(block -> {}, options(c)).importPaths(List.of(c.path()));
    assertThat(results).isNotEmpty();
    ImportResult root = results.get(results.size() - 1);

    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(root.cid().toString()).as("%s: root CID (ipfs add %s)", c.id(), flags(c)).isEqualTo(expected.cid());
    softly.assertThat(root.size()).as("%s: cumulative DAG size of the root", c.id()).isEqualTo(expected.size());
    if (Files.isRegularFile(c.path())) {
      long length = Files.size(c.path());
      if (!c.wrap()) {
        softly.assertThat(root.fileSize()).as("%s: file size", c.id()).isEqualTo(length);
        // The stream entry point (`ipfs add < file`) must agree with the path one.
        try (InputStream in = Files.newInputStream(c.path())) {
          ImportResult streamed = new Importer(block -> {}, options(c)).importFile(in);
          softly.assertThat(streamed.cid().toString()).as("%s: importFile CID", c.id()).isEqualTo(expected.cid());
        }
      }
    }
    softly.assertAll();
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  private void file(String id, Path path, int cidVersion, Boolean rawLeaves, int chunkSize, Layout layout) {
    add(id, path, cidVersion, rawLeaves, chunkSize, layout, false);
  }

  private void add(String id, Path path, int cidVersion, Boolean rawLeaves, int chunkSize, Layout layout, boolean wrap) {
    cases.add(new Case(id, path, cidVersion, rawLeaves, chunkSize, layout, wrap));
  }

  private static Path write(Path file, long length, SplittableRandom random) throws IOException {
    byte[] buffer = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      long left = length;
      while (left > 0) {
        int n = (int) Math.min(buffer.length, left);
        random.nextBytes(buffer);
        out.write(buffer, 0, n);
        left -= n;
      }
    }
    return file;
  }

  /** Nested folders with an empty folder, an empty file, a hidden file and multi-chunk files. */
  private static Path nestedTree(Path root, SplittableRandom random) throws IOException {
    Files.createDirectories(root.resolve("empty-dir"));
    Files.createDirectories(root.resolve("sub/deeper"));
    Files.createDirectories(root.resolve("sub/only-empty-dirs/empty-dir-2"));
    write(root.resolve("a.txt"), 100, random);
    write(root.resolve("Zeta.txt"), 10, random); // upper case sorts before lower case, bytewise
    write(root.resolve("empty-file"), 0, random);
    write(root.resolve("name with spaces.bin"), 3_000, random);
    write(root.resolve(".hidden"), 50, random); // skipped: Kubo adds hidden files only with --hidden
    write(root.resolve("sub/b.bin"), 300_000, random);
    write(root.resolve("sub/deeper/c.bin"), 1, random);
    write(root.resolve("sub/deeper/d.bin"), 600_000, random);
    write(root.resolve("sub/deeper/empty-file"), 0, random);
    if (Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8")).equals(StandardCharsets.UTF_8)) {
      write(root.resolve("ünïcødé-名前.txt"), 42, random); // names count and sort as UTF-8 bytes
    }
    return root;
  }

  /**
   * {@code entries} small files whose names are 30 bytes long, {@code longNames} of them 31 bytes;
   * with {@code withSubdir} the last entry is a folder instead of a file. Thousands of names in
   * 256 buckets also give the HAMT plenty of first-level collisions, hence sub-shards.
   */
  private static Path hamtDir(Path root, int entries, int longNames, boolean withSubdir) throws IOException {
    Files.createDirectories(root);
    int total = entries + longNames;
    for (int i = 0; i < total; i++) {
      String name = String.format("entry-%024d", i) + (i >= entries ? "x" : ""); // 30 or 31 bytes
      Path entry = root.resolve(name);
      if (withSubdir && i == total - 1) {
        Files.createDirectories(entry.resolve("empty-dir"));
        Files.write(entry.resolve("inner.txt"), ("inner " + i + "\n").getBytes(StandardCharsets.UTF_8));
        Files.write(entry.resolve("empty-file"), new byte[0]);
      } else {
        Files.write(entry, (root.getFileName() + " " + i + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    return root;
  }

  // ---------------------------------------------------------------------------------------------
  // Options and the reference

  private static ImportOptions options(Case c) {
    return ImportOptions.builder()
        .cidVersion(c.cidVersion())
        .rawLeaves(c.rawLeaves())
        .chunkSize(c.chunkSize())
        .layout(c.layout())
        .wrapWithDirectory(c.wrap())
        .hash(Multicodec.SHA2_256)
        .build();
  }

  /** The Kubo command line a case stands for, for failure messages. */
  private static String flags(Case c) {
    StringBuilder sb = new StringBuilder();
    if (Files.isDirectory(c.path())) {
      sb.append("-r ");
    }
    if (c.wrap()) {
      sb.append("-w ");
    }
    sb.append("--cid-version=").append(c.cidVersion());
    if (c.rawLeaves() != null) {
      sb.append(" --raw-leaves=").append(c.rawLeaves());
    }
    if (c.chunkSize() != CHUNK) {
      sb.append(" --chunker=size-").append(c.chunkSize());
    }
    if (c.layout() == Layout.TRICKLE) {
      sb.append(" --trickle");
    }
    return sb.append(' ').append(c.path().getFileName()).toString();
  }

  private static Map<String, Expected> runReference(List<Case> cases) throws Exception {
    Path moduleDir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    Path script = moduleDir.resolve("js/unixfs-cids.mjs");
    if (!Files.exists(script) && Files.exists(moduleDir.resolve("interop/js/unixfs-cids.mjs"))) {
      moduleDir = moduleDir.resolve("interop"); // run from the repository root
      script = moduleDir.resolve("js/unixfs-cids.mjs");
    }
    assertThat(script).as("reference script").exists();
    assertThat(moduleDir.resolve("node_modules/ipfs-unixfs-importer"))
        .as("npm packages (run the build without -Dcanopy.skipNpm=true, or `npm ci` in interop/)")
        .exists();

    ArrayNode input = JSON.createArrayNode();
    for (Case c : cases) {
      ObjectNode o = input.addObject();
      o.put("id", c.id());
      o.put("path", c.path().toAbsolutePath().toString());
      o.put("cidVersion", c.cidVersion());
      if (c.rawLeaves() == null) {
        o.putNull("rawLeaves");
      } else {
        o.put("rawLeaves", c.rawLeaves());
      }
      o.put("chunkSize", c.chunkSize());
      o.put("layout", c.layout() == Layout.TRICKLE ? "trickle" : "balanced");
      o.put("wrapWithDirectory", c.wrap());
    }

    String node = System.getProperty("canopy.node", "node");
    Process process;
    try {
      process = new ProcessBuilder(node, script.toString(), "--sizes").directory(moduleDir.toFile()).start();
    } catch (IOException e) {
      throw new AssertionError("cannot start '" + node + "' (install Node.js or pass -Dcanopy.node=...)", e);
    }
    CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
    IOException writeFailure = null;
    try (OutputStream in = process.getOutputStream()) {
      JSON.writeValue(in, input);
    } catch (IOException e) {
      writeFailure = e; // the script died early; its stderr says why
    }
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("reference script timed out");
    }
    String err = new String(stderr.get(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as("reference script exit code; stderr:%n%s", err).isZero();
    if (writeFailure != null) {
      throw writeFailure;
    }

    JsonNode out = JSON.readTree(stdout.get());
    Map<String, Expected> expected = new HashMap<>();
    for (Map.Entry<String, JsonNode> e : out.properties()) {
      expected.put(e.getKey(), new Expected(e.getValue().get("cid").asText(), e.getValue().get("size").asLong()));
    }
    assertThat(expected.keySet()).as("reference results").containsAll(ids(cases));
    return expected;
  }

  private static List<String> ids(List<Case> cases) {
    return cases.stream().map(Case::id).toList();
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
