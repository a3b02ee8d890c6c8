package io.canopy.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What a command may touch outside its arguments: the standard streams, the environment
 * variables, the user's home and working folders, and whether a person is watching stderr. The
 * real process passes {@link #system()}; tests pass their own so that no command reads the real
 * {@code ~/.canopy} or writes to the real console.
 *
 * @param stdin standard input (file contents for {@code add}, {@code block put}, {@code dag import})
 * @param stdout standard output; binary for {@code cat}, {@code block get}, {@code dag export}
 * @param stderr standard error: errors and progress
 * @param variables the environment ({@code CANOPY_HOME}, {@code CANOPY_DEBUG})
 * @param userHome where the default home {@code ~/.canopy} lives
 * @param workingDir what relative paths on the command line are relative to
 * @param interactive whether stderr is a terminal, so that a progress bar helps rather than litters
 */
public record ProcessEnvironment(
    InputStream stdin,
    PrintStream stdout,
    PrintStream stderr,
    Map<String, String> variables,
    Path userHome,
    Path workingDir,
    boolean interactive) {

  public ProcessEnvironment {
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    variables = Map.copyOf(variables);
    userHome = userHome.toAbsolutePath();
    workingDir = workingDir.toAbsolutePath();
  }

  /** This JVM's streams, environment and folders. */
  public static ProcessEnvironment system() {
    // Our own buffered stdout: System.out flushes on every write, which slows `cat` of large files.
    return new ProcessEnvironment(
        System.in,
        new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8),
        new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8),
        System.getenv(),
        Path.of(System.getProperty("user.home")),
        Path.of("").toAbsolutePath(),
        System.console() != null);
  }

  /** An environment variable, or null when unset or empty. */
  public String variable(String name) {
    String value = variables.get(name);
    return value == null || value.isEmpty() ? null : value;
  }

  /** {@code path} made absolute against the working folder (the JVM's own cwd is not used). */
  public Path resolve(Path path) {
    return workingDir.resolve(path).normalize();
  }
}
