package io.canopy.gateway.ipfs;

import io.canopy.content.exporter.Exporter;
import java.util.List;

/** The HTML page for a folder without an index.html: one link per entry, names escaped. */
final class DirectoryListing {
  private DirectoryListing() {}

  static String html(String contentPath, List<Exporter.DirEntry> entries) {
    StringBuilder sb = new StringBuilder(256 + entries.size() * 160);
    sb.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(escape(contentPath))
        .append("</title></head>\n<body>\n<h1>Index of ").append(escape(contentPath)).append("</h1>\n<table>\n");
    for (Exporter.DirEntry e : entries) {
      sb.append("<tr><td><a href=\"").append(escape(encodeSegment(e.name()))).append("\">").append(escape(e.name()))
          .append("</a></td><td>").append(e.cid()).append("</td><td>").append(e.tsize()).append("</td></tr>\n");
    }
    return sb.append("</table>\n</body></html>\n").toString();
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
  }

  /** A name as one path segment of a relative URL. */
  static String encodeSegment(String name) {
    StringBuilder sb = new StringBuilder();
    for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~!$&'()*+,;=:@".indexOf(c) >= 0) {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return sb.toString();
  }
}
