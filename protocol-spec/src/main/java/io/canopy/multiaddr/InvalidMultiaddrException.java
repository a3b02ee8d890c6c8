package io.canopy.multiaddr;

/**
 * A multiaddr (text or binary) that does not parse, or an operation that would produce an invalid
 * one. The message names the input and says what is wrong with it.
 */
public class InvalidMultiaddrException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  /** How much of an over-long input an error message quotes. */
  static final int QUOTED_PREFIX = 64;

  /** Control characters in {@code message} are escaped, so that an input cannot forge log lines. */
  public InvalidMultiaddrException(String message) {
    super(escapeControls(message));
  }

  public InvalidMultiaddrException(String message, Throwable cause) {
    super(escapeControls(message), cause);
  }

  /**
   * Input text as error messages show it: in single quotes, and input over {@link
   * Multiaddr#MAX_TEXT_LENGTH} cut to its first {@value #QUOTED_PREFIX} characters.
   */
  static String quoted(String text) {
    if (text.length() > Multiaddr.MAX_TEXT_LENGTH) {
      return "'" + text.substring(0, QUOTED_PREFIX) + "…' (" + text.length() + " characters)";
    }
    return "'" + text + "'";
  }

  private static String escapeControls(String message) {
    if (message == null || message.chars().noneMatch(InvalidMultiaddrException::isControl)) {
      return message;
    }
    StringBuilder sb = new StringBuilder(message.length() + 16);
    for (char c : message.toCharArray()) {
      if (isControl(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static boolean isControl(int c) {
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
  }
}
