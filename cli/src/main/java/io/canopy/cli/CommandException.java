package io.canopy.cli;

/**
 * A failure whose message is already the one line the user should read after "Error: " (no home,
 * a locked home, a directory given to {@code add} without {@code -r}).
 */
public class CommandException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CommandException(String message) {
    super(message);
  }

  public CommandException(String message, Throwable cause) {
    super(message, cause);
  }
}
