package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** add, cat, get, dag, block, pin and repo gc, each run as the real command against a real home. */
class ContentCommandsTest {
  /** What `echo hello | ipfs add` prints with Kubo's defaults. */
  static final String HELLO_CIDV0 = "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN";

  @TempDir Path tmp;
  Path home;

  @BeforeEach
  void init() {
    home = tmp.resolve("home");
    cli().run("init").ok();
  }

  CliRun cli() {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  Path write(String name, byte[] content) throws IOException {
    Path p = tmp.resolve(name);
    Files.createDirectories(p.getParent());
    return Files.write(p, content);
  }

  static String lastCid(CliRun.Result r) {
    List<String> lines = r.lines();
    return lines.get(lines.size() - 1).split(" ")[1];
  }

  @Test
  void addThenCatGivesTheSameBytes() throws Exception {
    byte[] data = randomBytes(700_000, 1); // three 256 KiB chunks
    write("big.bin", data);

    CliRun.Result added = cli().run("add", "big.bin").ok();

    assertThat(added.lines()).hasSize(1);
    assertThat(added.lines().get(0)).matches("added Qm[1-9A-HJ-NP-Za-km-z]{44} big.bin");
    String cid = lastCid(added);
    assertThat(cli().run("cat", cid).ok().stdout()).isEqualTo(data);
    assertThat(cli().run("cat", "/ipfs/" + cid).ok().stdout()).isEqualTo(data);
  }

  @Test
  void stdinGivesKubosCidAndIsNamedByIt() {
    CliRun.Result r = cli().stdin("hello\n".getBytes(StandardCharsets.UTF_8)).run("add").ok();
    assertThat(r.out()).isEqualTo("added " + HELLO_CIDV0 + " " + HELLO_CIDV0 + "\n");
    assertThat(cli().run("cat", HELLO_CIDV0).ok().out()).isEqualTo("hello\n");
  }

  @Test
  void quieterPrintsOnlyTheRootAndOnlyHashMatchesIt() throws Exception {
    write("d/a.txt", "a".getBytes(StandardCharsets.UTF_8));
    write("d/sub/b.txt", "b".getBytes(StandardCharsets.UTF_8));

    CliRun.Result full = cli().run("add", "-r", "d").ok();
    CliRun.Result quieter = cli().run("add", "-r", "-Q", "d").ok();
    CliRun.Result quiet = cli().run("add", "-r", "-q", "d").ok();

    assertThat(full.lines()).hasSize(4);
    assertThat(full.lines().get(3)).startsWith("added ").endsWith(" d");
    assertThat(quieter.out()).isEqualTo(lastCid(full) + "\n");
    assertThat(quiet.lines()).containsExactlyElementsOf(full.lines().stream().map(l -> l.split(" ")[1]).toList());
    assertThat(full.lines()).anyMatch(l -> l.endsWith(" d/sub/b.txt"));
  }

  @Test
  void onlyHashNeedsNoHomeAndStoresNothing() throws Exception {
    write("f.txt", "hello\n".getBytes(StandardCharsets.UTF_8));
    Path none = tmp.resolve("no-home");

    CliRun.Result r = cli().run("--home", none.toString(), "add", "-n", "-Q", "f.txt").ok();

    assertThat(r.out()).isEqualTo(HELLO_CIDV0 + "\n");
    assertThat(none).doesNotExist();
    // a real add creates the home on first use, and says so on stderr
    CliRun.Result first = cli().run("--home", none.toString(), "add", "-Q", "f.txt").ok();
    assertThat(first.out()).isEqualTo(HELLO_CIDV0 + "\n");
    assertThat(first.stderr()).startsWith("initialized Canopy home at " + none);
    assertThat(none.resolve("config.json")).isRegularFile();
    cli().run("--home", none.toString(), "cat", HELLO_CIDV0).ok();
    // but a folder that exists without being a home is left alone
    Path notHome = Files.createDirectories(tmp.resolve("not-a-home"));
    cli().run("--home", notHome.toString(), "add", "f.txt").failsNaming("no Canopy home at " + notHome + ": run `canopy init`");
    assertThat(notHome).isEmptyDirectory();
    // and in the real home, --only-hash stores nothing
    cli().run("add", "--only-hash", "f.txt").ok();
    cli().run("block", "stat", HELLO_CIDV0).failsNaming(HELLO_CIDV0, "not found");
  }

  @Test
  void importFlagsReachTheImporter() throws Exception {
    write("f.txt", "hello\n".getBytes(StandardCharsets.UTF_8));

    String v1 = lastCid(cli().run("add", "-n", "--cid-version", "1", "f.txt").ok());
    String v1NotRaw = lastCid(cli().run("add", "-n", "--cid-version=1", "--raw-leaves=false", "f.txt").ok());
    String blake3 = lastCid(cli().run("add", "-n", "--hash", "blake3", "f.txt").ok());
    String wrapped = cli().run("add", "-n", "-w", "f.txt").ok().lines().get(1);

    assertThat(Cid.parse(v1).codec()).isEqualTo(Multicodec.RAW.code());
    assertThat(Cid.parse(v1NotRaw).codec()).isEqualTo(Multicodec.DAG_PB.code());
    assertThat(Cid.parse(blake3).multihash().code()).isEqualTo(Multicodec.BLAKE3.code());
    assertThat(wrapped).startsWith("added Qm").endsWith(" ");

    byte[] data = randomBytes(100_000, 2);
    write("g.bin", data);
    String small = lastCid(cli().run("add", "--chunker", "size-1000", "g.bin").ok());
    String trickle = lastCid(cli().run("add", "--chunker=size-1000", "--trickle", "g.bin").ok());
    assertThat(small).isNotEqualTo(trickle);
    assertThat(cli().run("cat", small).ok().stdout()).isEqualTo(data);
    assertThat(cli().run("cat", trickle).ok().stdout()).isEqualTo(data);

    cli().run("add", "--hash", "md5", "f.txt").failsNaming("md5");
    cli().run("add", "--chunker", "rabin", "f.txt").failsNaming("rabin");
    cli().run("add", "--cid-version", "2", "f.txt").failsNaming("CID version");
  }

  @Test
  void catWithOffsetAndLength() throws Exception {
    byte[] data = randomBytes(600_000, 3);
    write("f.bin", data);
    String cid = lastCid(cli().run("add", "f.bin").ok());

    assertThat(cli().run("cat", "--offset", "300000", cid).ok().stdout())
        .isEqualTo(Arrays.copyOfRange(data, 300_000, data.length));
    assertThat(cli().run("cat", "-o", "262140", "-l", "10", cid).ok().stdout())
        .isEqualTo(Arrays.copyOfRange(data, 262_140, 262_150));
    assertThat(cli().run("cat", "--length", "0", cid).ok().stdout()).isEmpty();
    assertThat(cli().run("cat", "--offset", "599990", "--length", "100", cid).ok().stdout())
        .isEqualTo(Arrays.copyOfRange(data, 599_990, 600_000));

    cli().run("cat", "--offset", "-1", cid).failsNaming("--offset");
    cli().run("cat", "--length", "-5", cid).failsNaming("--length");
    cli().run("cat", "--offset", "700000", cid).failsNaming("700000");
  }

  @Test
  void catOfSeveralFilesConcatenates() throws Exception {
    write("a.txt", "abc".getBytes(StandardCharsets.UTF_8));
    write("b.txt", "defg".getBytes(StandardCharsets.UTF_8));
    List<String> lines = cli().run("add", "-q", "a.txt", "b.txt").ok().lines();

    assertThat(cli().run("cat", lines.get(0), lines.get(1)).ok().out()).isEqualTo("abcdefg");
    assertThat(cli().run("cat", "-o", "2", "-l", "3", lines.get(0), lines.get(1)).ok().out()).isEqualTo("cde");
  }

  @Test
  void getOfAFolderWritesTheTree() throws Exception {
    byte[] big = randomBytes(300_000, 4);
    write("site/index.html", "<h1>hi</h1>".getBytes(StandardCharsets.UTF_8));
    write("site/img/big.bin", big);
    write("site/empty/.keep-out", new byte[0]); // hidden: not added without -H
    String root = lastCid(cli().run("add", "-r", "site").ok());

    Path out = tmp.resolve("copy");
    CliRun.Result r = cli().run("get", root, "-o", out.toString()).ok();

    assertThat(r.out()).isEqualTo("Saving file(s) to " + out + "\n");
    assertThat(out.resolve("index.html")).hasContent("<h1>hi</h1>");
    assertThat(out.resolve("img/big.bin")).hasBinaryContent(big);
    assertThat(out.resolve("empty")).isEmptyDirectory();

    // a path inside, saved under its own name in the working folder
    cli().run("get", root + "/img/big.bin").ok();
    assertThat(tmp.resolve("big.bin")).hasBinaryContent(big);
    assertThat(cli().run("cat", root + "/index.html").ok().out()).isEqualTo("<h1>hi</h1>");
    cli().run("cat", root).failsNaming("directory");
    cli().run("cat", root + "/nope.txt").failsNaming("nope.txt");
  }

  @Test
  void dagExportThenImportIntoAnotherHomeGivesTheSameBytes() throws Exception {
    byte[] data = randomBytes(800_000, 5);
    write("f.bin", data);
    String cid = lastCid(cli().run("add", "f.bin").ok());

    byte[] car = cli().run("dag", "export", cid).ok().stdout();
    Path carFile = write("f.car", car);

    Path second = tmp.resolve("second");
    CliRun other = new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", second.toString());
    other.run("init").ok();
    other.run("cat", cid).failsNaming(cid, "not found");

    CliRun.Result imported = other.run("dag", "import", carFile.toString()).ok();

    assertThat(imported.out()).isEqualTo("Pinned root\t" + cid + "\tsuccess\n");
    assertThat(other.run("cat", cid).ok().stdout()).isEqualTo(data);
    assertThat(other.run("pin", "ls", "--type", "recursive").ok().out()).isEqualTo(cid + " recursive\n");
    // from stdin too, into a third home
    Path third = tmp.resolve("third");
    CliRun stdinHome = new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", third.toString());
    stdinHome.run("init").ok();
    stdinHome.stdin(car).run("dag", "import", "--stats").ok();
    assertThat(stdinHome.run("cat", cid).ok().stdout()).isEqualTo(data);
  }

  @Test
  void blockPutGetStat() throws Exception {
    byte[] data = "some raw bytes".getBytes(StandardCharsets.UTF_8);
    write("blk", data);

    String cid = cli().run("block", "put", "blk").ok().out().strip();

    Cid parsed = Cid.parse(cid);
    assertThat(cid).startsWith("bafkrei");
    assertThat(parsed).isEqualTo(Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, data));
    assertThat(cli().run("block", "get", cid).ok().stdout()).isEqualTo(data);
    assertThat(cli().run("block", "stat", cid).ok().out()).isEqualTo("Key: " + cid + "\nSize: " + data.length + "\n");

    String fromStdin = cli().stdin(data).run("block", "put", "--mhtype", "sha2-512").ok().out().strip();
    assertThat(Cid.parse(fromStdin).multihash().code()).isEqualTo(Multicodec.SHA2_512.code());

    // a real dag-pb node: the CIDv0 root of "hello\n" re-put with --cid-codec dag-pb
    cli().stdin("hello\n".getBytes(StandardCharsets.UTF_8)).run("add").ok();
    byte[] node = cli().run("block", "get", HELLO_CIDV0).ok().stdout();
    String v1 = cli().stdin(node).run("block", "put", "--cid-codec", "dag-pb").ok().out().strip();
    assertThat(Cid.parse(v1)).isEqualTo(Cid.parse(HELLO_CIDV0).toV1());

    cli().stdin(data).run("block", "put", "--cid-codec", "dag-pb").failsNaming("dag-pb");
    cli().stdin(data).run("block", "put", "--cid-codec", "dag-cbor").failsNaming("dag-cbor");
    cli().stdin(data).run("block", "put", "--mhtype", "nope").failsNaming("nope");
  }

  @Test
  void pinAddRmLs() throws Exception {
    String raw = cli().stdin("loose".getBytes(StandardCharsets.UTF_8)).run("block", "put").ok().out().strip();
    write("d/a.txt", "a".getBytes(StandardCharsets.UTF_8));
    List<String> added = cli().run("add", "-r", "-q", "d").ok().lines();
    String fileCid = added.get(0);
    String dirCid = added.get(1);

    assertThat(cli().run("pin", "ls").ok().lines()).containsExactly(dirCid + " recursive", fileCid + " indirect");
    assertThat(cli().run("pin", "ls", "--type", "indirect", "-q").ok().out()).isEqualTo(fileCid + "\n");
    assertThat(cli().run("pin", "ls", dirCid + "/a.txt").ok().out()).isEqualTo(fileCid + " indirect\n");

    assertThat(cli().run("pin", "add", raw).ok().out()).isEqualTo("pinned " + raw + " recursively\n");
    assertThat(cli().run("pin", "ls", "-t", "recursive").ok().lines()).containsExactly(dirCid + " recursive", raw + " recursive");

    assertThat(cli().run("pin", "rm", raw).ok().out()).isEqualTo("unpinned " + raw + "\n");
    assertThat(cli().run("pin", "add", "--recursive=false", raw).ok().out()).isEqualTo("pinned " + raw + " directly\n");
    assertThat(cli().run("pin", "ls", "--type", "direct").ok().out()).isEqualTo(raw + " direct\n");
    cli().run("pin", "rm", raw).ok();
    cli().run("pin", "ls", raw).failsNaming(raw, "not pinned");
    cli().run("pin", "rm", raw).failsNaming(raw);
    cli().run("pin", "ls", "--type", "sideways").failsNaming("sideways");
  }

  @Test
  void repoGcRemovesOnlyUnpinnedBlocks() throws Exception {
    byte[] kept = randomBytes(400_000, 6);
    write("kept.bin", kept);
    String keptCid = lastCid(cli().run("add", "kept.bin").ok());
    String loose = cli().stdin("loose".getBytes(StandardCharsets.UTF_8)).run("block", "put").ok().out().strip();
    write("unpinned.txt", "not pinned".getBytes(StandardCharsets.UTF_8));
    String unpinned = lastCid(cli().run("add", "--pin=false", "unpinned.txt").ok());

    CliRun.Result gc = cli().run("repo", "gc").ok();

    assertThat(gc.lines()).containsExactlyInAnyOrder(
        "removed " + loose, "removed " + Cid.v1(Multicodec.RAW, Cid.parse(unpinned).multihash()));
    assertThat(cli().run("cat", keptCid).ok().stdout()).isEqualTo(kept);
    cli().run("block", "stat", loose).failsNaming(loose, "not found");
    cli().run("cat", unpinned).failsNaming(unpinned, "not found");
    assertThat(cli().run("repo", "gc").ok().out()).isEmpty();
  }
}
