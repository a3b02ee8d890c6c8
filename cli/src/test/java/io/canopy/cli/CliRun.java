package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the real {@code canopy} command line in-process against a test's own folders: no real
 * ~/.canopy, no real console. Each {@link #run} is one invocation with fresh streams.
 */
final class CliRun {
  private final Path userHome;
  private final Path workingDir;
  private final Map<String, String> variables = new HashMap<>();
  private byte[] stdin = new byte[0];
  private boolean interactive;

  CliRun(Path userHome, Path workingDir) {
    this.userHome = userHome;
    this.workingDir = workingDir;
  }

  CliRun env(String name, String value) {
    variables.put(name, value);
    return this;
  }

  CliRun stdin(byte[] bytes) {
    this.stdin = bytes;
    return this;
  }

  CliRun interactive(boolean interactive) {
    this.interactive = interactive;
    return this;
  }

  Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ProcessEnvironment env = new ProcessEnvironment(
        new ByteArrayInputStream(stdin),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        variables,
        userHome,
        workingDir,
        interactive);
    int code = Canopy.commandLine(env).execute(args);
    stdin = new byte[0];
    return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  record Result(int exitCode, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    List<String> lines() {
      return out().lines().toList();
    }

    /** Asserts success and returns this, so that a test reads its output next. */
    Result ok() {
      assertThat(stderr).as("stderr of a successful command").doesNotContain("Error");
      assertThat(exitCode).as("exit code; stderr: %s", stderr).isZero();
      return this;
    }

    /**
     * Asserts a failure reported as Kubo does: non-zero exit, exactly one stderr line starting
     * "Error: ", and that line names every one of {@code mentions}.
     */
    Result failsNaming(String... mentions) {
      assertThat(exitCode).as("exit code; stdout: %s", out()).isNotZero();
      List<String> errLines = stderr.lines().toList();
      assertThat(errLines).as("stderr").hasSize(1);
      assertThat(errLines.get(0)).startsWith("Error: ").doesNotContain("Exception");
      for (String m : mentions) {
        assertThat(errLines.get(0)).contains(m);
      }
      return this;
    }
  }
}
