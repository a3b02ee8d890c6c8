package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.Ed25519PublicKey;
import io.canopy.identity.PeerId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HomeCommandsTest {
  @TempDir Path tmp;

  private CliRun cli() {
    return new CliRun(tmp.resolve("user"), tmp);
  }

  @Test
  void initCreatesTheHomeWithANewIdentity() throws Exception {
    Path home = tmp.resolve("node");

    CliRun.Result r = cli().run("--home", home.toString(), "init").ok();

    assertThat(r.out()).contains("generating ED25519 keypair...done", "initialized Canopy home at " + home);
    assertThat(home.resolve("config.json")).isRegularFile();
    assertThat(home.resolve("blocks")).isDirectory();
    assertThat(home.resolve("canopy.db")).isRegularFile();

    JsonNode config = HomeConfig.JSON.readTree(home.resolve("config.json").toFile());
    String peerId = config.at("/Identity/PeerID").asText();
    Ed25519PrivateKey key =
        Ed25519PrivateKey.fromProtobuf(Base64.getDecoder().decode(config.at("/Identity/PrivKey").asText()));
    assertThat(peerId).startsWith("12D3KooW").isEqualTo(key.peerId().toString());
    assertThat(r.out()).contains("peer identity: " + peerId);
    assertThat(config.at("/Datastore/StorageMax").asText()).isEqualTo("10GB");
    if (Files.getFileStore(home).supportsFileAttributeView("posix")) {
      assertThat(Files.getPosixFilePermissions(home.resolve("config.json")))
          .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }
  }

  @Test
  void twoInitsGiveTwoIdentities() throws Exception {
    cli().run("--home", tmp.resolve("a").toString(), "init").ok();
    cli().run("--home", tmp.resolve("b").toString(), "init").ok();

    String a = cli().run("--home", tmp.resolve("a").toString(), "id").ok().out();
    String b = cli().run("--home", tmp.resolve("b").toString(), "id").ok().out();
    assertThat(HomeConfig.JSON.readTree(a).get("ID")).isNotEqualTo(HomeConfig.JSON.readTree(b).get("ID"));
  }

  @Test
  void refusesToReinitialize() throws Exception {
    Path home = tmp.resolve("node");
    cli().run("--home", home.toString(), "init").ok();
    byte[] config = Files.readAllBytes(home.resolve("config.json"));

    cli().run("--home", home.toString(), "init").failsNaming(home.toString(), "already exists");

    assertThat(home.resolve("config.json")).hasBinaryContent(config);
  }

  @Test
  void homeIsFoundByOptionThenVariableThenUserHome() {
    Path fromOption = tmp.resolve("opt");
    Path fromVariable = tmp.resolve("var");

    cli().env("CANOPY_HOME", fromVariable.toString()).run("init", "--home", fromOption.toString()).ok();
    assertThat(fromOption.resolve("config.json")).exists();
    assertThat(fromVariable).doesNotExist();

    cli().env("CANOPY_HOME", fromVariable.toString()).run("init").ok();
    assertThat(fromVariable.resolve("config.json")).exists();

    cli().run("init").ok();
    assertThat(tmp.resolve("user/.canopy/config.json")).exists();
  }

  @Test
  void relativeHomeIsRelativeToTheWorkingFolder() {
    cli().run("--home", "rel/home", "init").ok();
    assertThat(tmp.resolve("rel/home/config.json")).exists();
  }

  @Test
  void idPrintsPeerIdAndPublicKey() throws Exception {
    Path home = tmp.resolve("node");
    cli().run("--home", home.toString(), "init").ok();

    JsonNode id = HomeConfig.JSON.readTree(cli().run("--home", home.toString(), "id").ok().out());

    PeerId peerId = PeerId.parse(id.get("ID").asText());
    Ed25519PublicKey key = Ed25519PublicKey.fromProtobuf(Base64.getDecoder().decode(id.get("PublicKey").asText()));
    assertThat(peerId).isEqualTo(key.peerId());
    JsonNode config = HomeConfig.JSON.readTree(home.resolve("config.json").toFile());
    assertThat(id.get("ID").asText()).isEqualTo(config.at("/Identity/PeerID").asText());
    assertThat(id.get("AgentVersion").asText()).startsWith("canopy/");
  }

  @Test
  void idRejectsAConfigWhosePeerIdIsNotItsKey() throws Exception {
    Path home = tmp.resolve("node");
    cli().run("--home", home.toString(), "init").ok();
    Path config = home.resolve("config.json");
    String other = Ed25519PrivateKey.generate(new java.security.SecureRandom()).peerId().toString();
    String text = Files.readString(config).replaceAll("12D3KooW[1-9A-HJ-NP-Za-km-z]+", other);
    Files.writeString(config, text);

    cli().run("--home", home.toString(), "id").failsNaming("config.json", other);
  }

  @Test
  void commandsNeedAHome() {
    Path home = tmp.resolve("nothing-here");
    cli().run("--home", home.toString(), "id").failsNaming("no Canopy home at " + home + ": run `canopy init`");
    cli().run("--home", home.toString(), "pin", "ls").failsNaming("no Canopy home at " + home);
    assertThat(home).doesNotExist();
  }

  @Test
  void aLockedHomeIsRefusedWithAClearError() throws Exception {
    Path home = tmp.resolve("node");
    cli().run("--home", home.toString(), "init").ok();
    Files.writeString(tmp.resolve("f.txt"), "hi");

    try (Home.Lock held = new Home(home).lock()) {
      cli().run("--home", home.toString(), "add", "f.txt").failsNaming(home.toString(), "in use", "repo.lock");
      cli().run("--home", home.toString(), "repo", "gc").failsNaming("in use");
    }
    cli().run("--home", home.toString(), "add", "f.txt").ok();
  }

  @Test
  void versionPrintsLikeKubo() {
    assertThat(cli().run("version").ok().out()).startsWith("canopy version ");
    assertThat(cli().run("version", "-n").ok().out().strip()).isEqualTo(VersionCommand.version());
    assertThat(cli().run("--version").ok().out()).startsWith("canopy version ");
  }

  @Test
  void helpAndNoArgumentsPrintUsage() {
    assertThat(cli().run().ok().out()).contains("Usage: canopy", "add", "cat", "repo");
    assertThat(cli().run("add", "--help").ok().out()).contains("--only-hash", "--cid-version");
  }

  @Test
  void aCommandLineThatDoesNotParseIsOneErrorLine() {
    CliRun.Result r = cli().run("frobnicate");
    assertThat(r.exitCode()).isEqualTo(2);
    r.failsNaming("frobnicate");
    cli().run("add", "--cid-version", "x").failsNaming("--cid-version", "canopy add --help");
    cli().run("cat").failsNaming("CID[/PATH]");
  }

  @Test
  void debugAddsTheStackTrace() {
    Path home = tmp.resolve("nothing-here");
    CliRun.Result plain = cli().run("--home", home.toString(), "id");
    assertThat(plain.stderr()).doesNotContain("\tat ");

    CliRun.Result debug = cli().run("--home", home.toString(), "--debug", "id");
    assertThat(debug.exitCode()).isNotZero();
    assertThat(debug.stderr()).startsWith("Error: no Canopy home").contains("\tat io.canopy.cli.");

    CliRun.Result byVariable = cli().env("CANOPY_DEBUG", "1").run("--home", home.toString(), "id");
    assertThat(byVariable.stderr()).contains("\tat io.canopy.cli.");
  }

  @Test
  void aConfigWithoutDatastoreStartsWithKubosDefaultRoom() throws Exception {
    Path home = tmp.resolve("node");
    cli().run("--home", home.toString(), "init").ok();
    JsonNode config = HomeConfig.JSON.readTree(home.resolve("config.json").toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) config).remove("Datastore");
    Files.writeString(home.resolve("config.json"), config.toString());

    // was a NullPointerException when the daemon read the room to offer
    assertThat(new Home(home).readConfig().storageMax()).isEqualTo(HomeConfig.DEFAULT_STORAGE_MAX);
  }

  @Test
  void aDevnetJsonThatIsNotALayoutIsRefusedNamingTheFileAndKey() throws Exception {
    Path root = tmp.resolve("devnet");
    Files.createDirectories(root);
    Path file = root.resolve("devnet.json");
    String nodes = "\"nodes\": [\"storage-1\", \"validator-1\", \"gateway\"]";
    String good = "{" + nodes + ", \"validatorIds\": [\"" + Ed25519PrivateKey.generate(new java.security.SecureRandom()).peerId() + "\"], \"networkId\": \"devnet-1\","
        + " \"genesis\": 1000, \"epochLengthMillis\": 60000, \"accessKeyId\": \"AK\", \"secretAccessKey\": \"SK\","
        + " \"apiKey\": \"key\"}";
    Files.writeString(file, good);
    DevnetCommand.Layout layout = DevnetCommand.Layout.prepare(root, 1, 0, 1, java.time.Duration.ofMinutes(1));
    assertThat(layout.networkId()).isEqualTo("devnet-1");
    assertThat(layout.genesisMillis()).isEqualTo(1000);

    // was a bare JsonParseException (crash input of CliDecodersFuzzTest), or genesis 0 for a text
    Files.writeString(file, "{\"nodes\": [");
    assertThat(org.assertj.core.api.Assertions.catchThrowable(
        () -> DevnetCommand.Layout.prepare(root, 1, 0, 1, java.time.Duration.ofMinutes(1))))
        .isInstanceOf(CommandException.class).hasMessageContaining(file.toString()).hasMessageContaining("not JSON");
    Files.writeString(file, good.replace("\"genesis\": 1000", "\"genesis\": \"soon\""));
    assertThat(org.assertj.core.api.Assertions.catchThrowable(
        () -> DevnetCommand.Layout.prepare(root, 1, 0, 1, java.time.Duration.ofMinutes(1))))
        .isInstanceOf(CommandException.class).hasMessageContaining(file.toString()).hasMessageContaining("'genesis'");
    Files.writeString(file, good.replace("\"validatorIds\": [", "\"validatorIds\": [\"not-a-peer\", "));
    assertThat(org.assertj.core.api.Assertions.catchThrowable(
        () -> DevnetCommand.Layout.prepare(root, 1, 0, 1, java.time.Duration.ofMinutes(1))))
        .isInstanceOf(CommandException.class).hasMessageContaining("'validatorIds'");
  }

  @Test
  void aConfigJacksonTakesForOddUtf32IsRefusedNamingTheFile() throws Exception {
    Path home = tmp.resolve("node");
    cli().run("--home", home.toString(), "init").ok();
    // was a bare CharConversionException "Unsupported UCS-4 endianness" (crash input of CliDecodersFuzzTest)
    Files.write(home.resolve("config.json"), new byte[] {0, 0, 0x20, 0, 0, 2});
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> new Home(home).readConfig()))
        .isInstanceOf(CommandException.class).hasMessageContaining(home.resolve("config.json").toString());
  }
}
