package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.assertj.core.api.Assumptions.assumeThatCode;

import io.canopy.content.car.CarWriter;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every failure is a non-zero exit and one "Error: …" line that names what is wrong. */
class BadInputTest {
  /** A well-formed CID of bytes no test stores. */
  static final String ABSENT = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "absent".getBytes(StandardCharsets.UTF_8)).toString();

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

  @Test
  void missingPath() {
    cli().run("add", "nope.txt").failsNaming("no such file or directory", "nope.txt");
    cli().run("add", "-n", "missing/dir").failsNaming("missing/dir");
    cli().run("block", "put", "nope.blk").failsNaming("nope.blk");
    cli().run("dag", "import", "nope.car").failsNaming("nope.car");
  }

  @Test
  void folderWithoutRecursive() throws Exception {
    Files.createDirectories(tmp.resolve("dir"));
    cli().run("add", "dir").failsNaming("'dir'", "-r");
  }

  @Test
  void unreadableFile() throws Exception {
    Path secret = Files.writeString(tmp.resolve("secret.txt"), "x");
    assumeThatCode(() -> Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------")))
        .doesNotThrowAnyException();
    // root reads anything: there is no failure to observe then
    assumeThat(Files.isReadable(secret)).as("file still readable (running as root?)").isFalse();

    cli().run("add", "secret.txt").failsNaming("permission denied", "secret.txt");

    Files.createDirectories(tmp.resolve("d"));
    Path inner = Files.writeString(tmp.resolve("d/inner.txt"), "y");
    Files.setPosixFilePermissions(inner, PosixFilePermissions.fromString("---------"));
    cli().run("add", "-r", "d").failsNaming("permission denied", "inner.txt");
  }

  /** A file that opens but fails to read (here the kernel's EIO, which root gets too). */
  @Test
  void fileThatFailsToRead() {
    Path mem = Path.of("/proc/self/mem");
    assumeThat(Files.exists(mem)).as("needs Linux /proc").isTrue();
    cli().run("add", mem.toString()).failsNaming("cannot read", "/proc/self/mem");
  }

  @Test
  void malformedCid() {
    cli().run("cat", "notacid").failsNaming("invalid CID", "notacid");
    cli().run("get", "Qm123").failsNaming("Qm123");
    cli().run("block", "get", "bafy!!").failsNaming("bafy!!");
    cli().run("block", "stat", "zzz").failsNaming("zzz");
    cli().run("pin", "add", "QmNotACid").failsNaming("QmNotACid");
    cli().run("dag", "export", "xyz").failsNaming("xyz");
  }

  @Test
  void cidNotInTheStore() {
    cli().run("cat", ABSENT).failsNaming(ABSENT, "not found");
    cli().run("get", ABSENT, "-o", tmp.resolve("out").toString()).failsNaming(ABSENT);
    cli().run("block", "get", ABSENT).failsNaming(ABSENT);
    cli().run("block", "stat", ABSENT).failsNaming(ABSENT);
    cli().run("pin", "add", ABSENT).failsNaming(ABSENT);
    CliRun.Result export = cli().run("dag", "export", ABSENT).failsNaming(ABSENT);
    assertThat(export.stdout()).as("no half CAR on stdout").isEmpty();
  }

  @Test
  void truncatedCar() throws Exception {
    Files.write(tmp.resolve("f.bin"), ContentCommandsTest.randomBytes(600_000, 7));
    String cid = ContentCommandsTest.lastCid(cli().run("add", "f.bin").ok());
    byte[] car = cli().run("dag", "export", cid).ok().stdout();
    Path cut = Files.write(tmp.resolve("cut.car"), Arrays.copyOf(car, car.length - 1000));
    Path headerOnly = Files.write(tmp.resolve("header.car"), Arrays.copyOf(car, 20));
    Path garbage = Files.write(tmp.resolve("garbage.car"), "not a car at all".getBytes(StandardCharsets.UTF_8));

    Path second = tmp.resolve("second");
    CliRun other = new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", second.toString());
    other.run("init").ok();

    CliRun.Result r = other.run("dag", "import", "cut.car").failsNaming("cut.car");
    assertThat(r.out()).doesNotContain("Pinned root");
    other.run("dag", "import", "header.car").failsNaming("header.car");
    other.run("dag", "import", "garbage.car").failsNaming("garbage.car");
    other.stdin(Arrays.copyOf(car, car.length / 2)).run("dag", "import").failsNaming("stdin");
    other.run("pin", "ls").ok();
    assertThat(other.run("pin", "ls").out()).isEmpty();
  }

  @Test
  void carWithAnIncompleteDagFailsToPinItsRoot() throws Exception {
    Files.write(tmp.resolve("f.bin"), ContentCommandsTest.randomBytes(600_000, 8)); // root + 3 leaves
    String root = ContentCommandsTest.lastCid(cli().run("add", "f.bin").ok());
    byte[] rootBlock = cli().run("block", "get", root).ok().stdout();
    // A CAR with the root block alone: its leaves are nowhere.
    java.io.ByteArrayOutputStream car = new java.io.ByteArrayOutputStream();
    CarWriter writer = CarWriter.open(car, List.of(Cid.parse(root)));
    writer.write(Cid.parse(root), rootBlock);
    writer.flush();
    Path partial = Files.write(tmp.resolve("partial.car"), car.toByteArray());

    Path second = tmp.resolve("second");
    CliRun other = new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", second.toString());
    other.run("init").ok();

    other.run("dag", "import", partial.toString()).failsNaming("pinning root " + root + " FAILED", "not in the local store");
    assertThat(other.run("pin", "ls").ok().out()).isEmpty();
    other.run("dag", "import", "--pin-roots=false", partial.toString()).ok();
    assertThat(other.run("block", "get", root).ok().stdout()).isEqualTo(rootBlock);
  }

  @Test
  void corruptBlockOnDisk() throws Exception {
    Files.writeString(tmp.resolve("small.txt"), "a small file, one block");
    String cid = ContentCommandsTest.lastCid(cli().run("add", "small.txt").ok());
    List<Path> blockFiles;
    try (Stream<Path> walk = Files.walk(home.resolve("blocks"))) {
      blockFiles = walk.filter(p -> p.toString().endsWith(".data")).toList();
    }
    assertThat(blockFiles).hasSize(1);
    Files.writeString(blockFiles.get(0), "bit rot");

    cli().run("cat", cid).failsNaming(cid, "corrupt");
    cli().run("block", "get", cid).failsNaming(cid, "corrupt");
    cli().run("get", cid, "-o", tmp.resolve("out").toString()).failsNaming(cid);
    CliRun.Result export = cli().run("dag", "export", cid).failsNaming(cid);
    assertThat(export.stdout().length).as("CAR cut short").isLessThan(200);
  }

  @Test
  void blockTooLarge() {
    byte[] big = new byte[io.canopy.content.block.Block.MAX_SIZE + 1];
    cli().stdin(big).run("block", "put").failsNaming("stdin", "block limit");
  }
}
