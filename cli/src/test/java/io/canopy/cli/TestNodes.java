package io.canopy.cli;

import io.canopy.identity.PeerId;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Daemons in this JVM for a network test, each on its own initialised home under the test's folder; closed in reverse order. */
final class TestNodes implements AutoCloseable {
  private final Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();

  TestNodes(Path dir) {
    this.dir = dir;
  }

  /** The {@code canopy} command on {@code home}. */
  CliRun cli(Path home) {
    return new CliRun(dir.resolve("user"), dir).env("CANOPY_HOME", home.toString());
  }

  /** A new home, initialised ({@code canopy init}). */
  Path home(String name) {
    Path home = dir.resolve(name);
    cli(home).run("init").ok();
    return home;
  }

  Daemons.InProcess start(Path home, DaemonNode.Options options) throws Exception {
    return closeLater(Daemons.inProcess(home, options));
  }

  /** Closes {@code c} with the nodes (before those started earlier). */
  <T extends AutoCloseable> T closeLater(T c) {
    open.add(c);
    return c;
  }

  static PeerId peerId(Path home) throws IOException {
    return PeerId.parse(new Home(home).readConfig().identity().peerId());
  }

  @Override
  public void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }
}
