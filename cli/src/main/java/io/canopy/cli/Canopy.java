package io.canopy.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code canopy} command. Subcommands follow Kubo's verbs ({@code add}, {@code cat}, {@code
 * get}, {@code dag}, {@code block}, {@code pin}, {@code repo gc}, {@code id}, {@code swarm}, {@code
 * version}) and
 * print what Kubo prints, so that scripts written for {@code ipfs} carry over. Each subcommand is
 * thin: it turns flags into the content module's options and calls it.
 *
 * <p>Exit code 0 on success, 1 when a command fails, 2 for a command line that does not parse;
 * the failure is one line on stderr, "Error: …".
 */
@Command(
    name = "canopy",
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Canopy: community-owned, IPFS-compatible storage and inference.",
    subcommands = {
      InitCommand.class,
      AddCommand.class,
      CatCommand.class,
      GetCommand.class,
      DagCommand.class,
      BlockCommand.class,
      PinCommand.class,
      RepoCommand.class,
      IdCommand.class,
      DaemonCommand.class,
      DevnetCommand.class,
      SwarmCommand.class,
      StatusCommand.class,
      DealCommand.class,
      GatewayCommand.class,
      LedgerCommand.class,
      RunCommand.class,
      ModelCommand.class,
      PingCommand.class,
      VersionCommand.class,
    })
public final class Canopy implements Callable<Integer> {
  static final int EXIT_USAGE = 2;
  static final String HOME_VARIABLE = "CANOPY_HOME";
  static final String DEBUG_VARIABLE = "CANOPY_DEBUG";

  @Option(
      names = "--home",
      scope = ScopeType.INHERIT,
      paramLabel = "DIR",
      description = "The node's home folder (default: $CANOPY_HOME, else ~/.canopy).")
  Path homeOption;

  @Option(
      names = "--debug",
      scope = ScopeType.INHERIT,
      description = "Print the stack trace of a failure (also CANOPY_DEBUG=1).")
  boolean debug;

  @Spec CommandSpec spec;

  private final ProcessEnvironment environment;

  public Canopy() {
    this(ProcessEnvironment.system());
  }

  public Canopy(ProcessEnvironment environment) {
    this.environment = environment;
  }

  public static void main(String[] args) {
    ProcessEnvironment env = ProcessEnvironment.system();
    int code;
    try {
      code = commandLine(env).execute(args);
    } catch (Throwable t) { // last resort: still one line, never only a trace
      env.stderr().println("Error: " + ErrorReport.oneLine(String.valueOf(t)));
      code = CanopyCommand.EXIT_FAILURE;
    }
    env.stdout().flush();
    System.exit(code);
  }

  /**
   * The command line wired to {@code env}: help and usage go to its streams, and a command line
   * that does not parse gives one "Error: …" line naming the problem, as a failing command does.
   */
  public static CommandLine commandLine(ProcessEnvironment env) {
    Canopy canopy = new Canopy(env);
    CommandLine cmd = new CommandLine(canopy);
    cmd.setOut(new PrintWriter(env.stdout(), true));
    cmd.setErr(new PrintWriter(env.stderr(), true));
    cmd.setParameterExceptionHandler(
        (e, args) -> {
          CommandSpec where = e.getCommandLine().getCommandSpec();
          String message = e.getMessage();
          if (e instanceof UnmatchedArgumentException u && !where.subcommands().isEmpty()
              && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
            message = "unknown command '" + u.getUnmatched().get(0) + "'";
          }
          env.stderr().println("Error: " + ErrorReport.oneLine(message)
              + " (see '" + where.qualifiedName() + " --help')");
          return EXIT_USAGE;
        });
    cmd.setExecutionExceptionHandler((e, c, parsed) -> canopy.report(e));
    return cmd;
  }

  /** {@code canopy} alone prints the usage. */
  @Override
  public Integer call() {
    spec.commandLine().usage(environment.stdout());
    return 0;
  }

  ProcessEnvironment environment() {
    return environment;
  }

  /** Resolution order: --home, then $CANOPY_HOME, then ~/.canopy. */
  Home home() {
    Path dir;
    if (homeOption != null) {
      dir = homeOption;
    } else if (environment.variable(HOME_VARIABLE) != null) {
      dir = Path.of(environment.variable(HOME_VARIABLE));
    } else {
      dir = environment.userHome().resolve(Home.DEFAULT_NAME);
    }
    return new Home(environment.resolve(dir));
  }

  boolean debug() {
    return debug || "1".equals(environment.variable(DEBUG_VARIABLE));
  }

  /** Prints the one-line report of {@code failure} (and its trace under --debug); the exit code. */
  int report(Throwable failure) {
    environment.stdout().flush();
    environment.stderr().println("Error: " + ErrorReport.describe(failure));
    if (debug()) {
      failure.printStackTrace(environment.stderr());
    }
    environment.stderr().flush();
    return CanopyCommand.EXIT_FAILURE;
  }
}
