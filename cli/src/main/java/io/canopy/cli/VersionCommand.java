package io.canopy.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;

/** {@code canopy version}: "canopy version X", as {@code ipfs version} prints "ipfs version X". */
@Command(name = "version", description = "Show the Canopy version.")
final class VersionCommand extends CanopyCommand implements Callable<Integer> {
  /** Written into the jar by Maven; absent when running from unpackaged classes. */
  private static final String POM_PROPERTIES = "/META-INF/maven/io.canopy/cli/pom.properties";

  @Option(names = {"-n", "--number"}, description = "Print only the version number.")
  boolean number;

  @Option(names = "--all", description = "Also print the Java runtime and the system.")
  boolean all;

  @Override
  public Integer call() {
    return run(() -> {
      if (number) {
        println(version());
        return;
      }
      println("canopy version " + version());
      if (all) {
        println("Java: " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")");
        println("System: " + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
      }
    });
  }

  /** The version of the running build, "dev" when not run from the packaged jar. */
  static String version() {
    try (InputStream in = VersionCommand.class.getResourceAsStream(POM_PROPERTIES)) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null && !v.isBlank()) {
          return v.strip();
        }
      }
    } catch (IOException e) {
      // fall through: a version string is not worth failing a command for
    }
    return "dev";
  }

  /** What the node announces in identify (DESIGN.md §3): {@code canopy/<version>}. */
  static String agentVersion() {
    return "canopy/" + version();
  }

  /** For {@code canopy --version}. */
  static final class Provider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"canopy version " + version()};
    }
  }
}
