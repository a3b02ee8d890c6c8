package io.canopy.cli;

import java.io.PrintStream;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every {@code canopy} subcommand shares: the process environment, the home folder the
 * global options point at, and one way to fail — a one-line "Error: …" on stderr and exit code
 * {@value #EXIT_FAILURE}, with the stack trace only under {@code --debug} or {@code CANOPY_DEBUG=1}.
 */
abstract class CanopyCommand {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILURE = 1;

  @Spec(Spec.Target.SELF)
  CommandSpec spec;

  /** A command body; may throw anything, which {@link #run} reports. */
  @FunctionalInterface
  interface Body {
    void run() throws Exception;
  }

  final Canopy canopy() {
    return (Canopy) spec.root().userObject();
  }

  final ProcessEnvironment env() {
    return canopy().environment();
  }

  final PrintStream out() {
    return env().stdout();
  }

  /** The home folder named by --home, CANOPY_HOME or the default, whether or not it exists. */
  final Home home() {
    return canopy().home();
  }

  /**
   * The node of the home: its running daemon if there is one (the home's {@code api} file names an
   * API that answers), else its stores opened in this process, which fails if another process
   * holds them. Close it when done.
   */
  final NodeApi node() throws java.io.IOException {
    Home home = home();
    home.requireInitialized();
    java.util.Optional<HttpNodeApi> daemon = HttpNodeApi.ifRunning(home);
    if (daemon.isPresent()) {
      return daemon.get();
    }
    return RepoNodeApi.open(home);
  }

  /** The home's running daemon; fails, saying how to start one, if none runs. */
  final HttpNodeApi daemon() throws java.io.IOException {
    Home home = home();
    home.requireInitialized();
    return HttpNodeApi.ifRunning(home).orElseThrow(() -> RepoNodeApi.noDaemon(home));
  }

  /** Runs {@code body} and turns any failure into the one-line report and a non-zero exit code. */
  final int run(Body body) {
    try {
      body.run();
      out().flush();
      return EXIT_OK;
    } catch (Exception e) {
      out().flush();
      return canopy().report(e);
    }
  }

  /** Writes one line of text output ("\n", as Kubo does on every platform). */
  final void println(String line) {
    out().print(line);
    out().print('\n');
  }
}
