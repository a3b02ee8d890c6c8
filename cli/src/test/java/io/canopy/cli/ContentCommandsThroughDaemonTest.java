package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link ContentCommandsTest} again, with a daemon running on the home: the same
 * commands must print the same bytes through its API. The daemon holds the home's lock the whole
 * time, so a command on the home that succeeds can only have gone through the daemon.
 */
class ContentCommandsThroughDaemonTest extends ContentCommandsTest {
  Daemons.InProcess daemon;

  @BeforeEach
  void startDaemon() throws Exception {
    daemon = Daemons.inProcess(home);
  }

  @AfterEach
  void stopDaemon() {
    daemon.close();
  }

  @Test
  void commandsGoThroughTheDaemonWhichHoldsTheStores() throws Exception {
    assertThat(home.resolve("api")).isRegularFile();
    if (Files.getFileStore(home).supportsFileAttributeView("posix")) {
      assertThat(Files.getPosixFilePermissions(home.resolve("api")))
          .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }
    assertThatThrownBy(() -> new Home(home).lock().close()).hasMessageContaining("in use");
    write("f.txt", "hello\n".getBytes(StandardCharsets.UTF_8));
    assertThat(cli().run("add", "f.txt").ok().out()).isEqualTo("added " + HELLO_CIDV0 + " f.txt\n");
    String pins = cli().run("pin", "ls").ok().out();
    assertThat(pins).isEqualTo(HELLO_CIDV0 + " recursive\n");
    assertThat(cli().run("id").ok().out()).contains("\"Addresses\"", daemon.addr());

    daemon.close();

    assertThat(home.resolve("api")).doesNotExist();
    assertThat(cli().run("pin", "ls").ok().out()).as("the same pins, read offline").isEqualTo(pins);
  }

  @Test
  void swarmCommandsNeedTheDaemonAndListNoPeersAlone() {
    assertThat(cli().run("swarm", "peers").ok().out()).isEmpty();
    daemon.close();
    cli().run("swarm", "peers").failsNaming("no daemon is running on " + home + "; start one with `canopy daemon`");
  }
}
