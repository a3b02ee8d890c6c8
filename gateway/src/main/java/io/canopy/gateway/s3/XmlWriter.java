package io.canopy.gateway.s3;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Writes the compact XML documents S3 sends: an XML declaration, then elements with text, no
 * attributes but the root's namespace, no indentation. Text is escaped so that any Java string
 * reads back the same through an XML 1.0 parser where XML 1.0 can carry it at all.
 */
final class XmlWriter {
  static final String DECLARATION = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

  private final StringBuilder out = new StringBuilder(256).append(DECLARATION);
  private final Deque<String> open = new ArrayDeque<>();

  /** Opens the root (or any) element without a namespace. */
  XmlWriter start(String name) {
    out.append('<').append(name).append('>');
    open.push(name);
    return this;
  }

  /** Opens the root element in {@code namespace}. */
  XmlWriter startRoot(String name, String namespace) {
    out.append('<').append(name).append(" xmlns=\"").append(namespace).append("\">");
    open.push(name);
    return this;
  }

  XmlWriter end() {
    out.append("</").append(open.pop()).append('>');
    return this;
  }

  /** {@code <name>text</name>}; a null text is written as the empty element {@code <name/>}. */
  XmlWriter element(String name, String text) {
    if (text == null || text.isEmpty()) {
      out.append('<').append(name).append("/>");
    } else {
      out.append('<').append(name).append('>');
      escape(text, out);
      out.append("</").append(name).append('>');
    }
    return this;
  }

  XmlWriter element(String name, long value) {
    out.append('<').append(name).append('>').append(value).append("</").append(name).append('>');
    return this;
  }

  XmlWriter element(String name, boolean value) {
    out.append('<').append(name).append('>').append(value).append("</").append(name).append('>');
    return this;
  }

  /** Writes the element only when {@code text} is not null. */
  XmlWriter optional(String name, String text) {
    return text == null ? this : element(name, text);
  }

  @Override
  public String toString() {
    if (!open.isEmpty()) {
      throw new IllegalStateException("unclosed elements " + open);
    }
    return out.toString();
  }

  /**
   * Escapes element text. {@code &}, {@code <}, {@code >} become entities; CR becomes {@code &#13;}
   * (a literal one would be normalised to LF by the reader); characters XML 1.0 cannot carry
   * (controls other than TAB/LF/CR, U+FFFE, U+FFFF) become numeric references as S3 writes them —
   * clients that need such keys ask for {@code encoding-type=url}; a lone surrogate becomes U+FFFD.
   */
  static void escape(String text, StringBuilder out) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '\r' -> out.append("&#13;");
        case '\t', '\n' -> out.append(c);
        default -> {
          if (c < 0x20 || c == 0xFFFE || c == 0xFFFF) {
            out.append("&#x").append(Integer.toHexString(c).toUpperCase()).append(';');
          } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
              && Character.isLowSurrogate(text.charAt(i + 1))) {
            out.append(c).append(text.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            out.append('\uFFFD');
          } else {
            out.append(c);
          }
        }
      }
    }
  }
}
