package io.canopy.gateway.ipfs;

import io.canopy.gateway.http.AsciiHex;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A request to the path gateway (ipfs/specs http-gateways/path-gateway.md), parsed:
 * {@code /ipfs/{cid}[/{path}]} with each path segment percent-decoded once, and the response
 * format asked for by {@code ?format=} or the Accept header (trustless-gateway.md).
 */
record GatewayRequest(Cid cid, List<String> segments, Format format) {
  static final int MAX_PATH_BYTES = 4096;

  enum Format {
    /** Deserialized UnixFS: file bytes or a directory listing. */
    UNIXFS,
    /** {@code application/vnd.ipld.raw}: the block the path ends at. */
    RAW,
    /** {@code application/vnd.ipld.car}: a CARv1 of the DAG the path ends at. */
    CAR
  }

  /** A request the gateway refuses with 400 and the message. */
  static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message, null, false, false);
    }
  }

  /** The content path {@code /ipfs/cid/a/b} (decoded names), for resolving and for X-Ipfs-Path. */
  String contentPath() {
    StringBuilder sb = new StringBuilder("/ipfs/").append(cid);
    for (String s : segments) {
      sb.append('/').append(s);
    }
    return sb.toString();
  }

  static GatewayRequest parse(String rawPath, String formatParam, String accept) throws BadRequest {
    if (rawPath.length() > MAX_PATH_BYTES) {
      throw new BadRequest("path longer than " + MAX_PATH_BYTES + " bytes");
    }
    if (!rawPath.startsWith("/ipfs/")) {
      throw new BadRequest("expected /ipfs/{cid}[/path], got " + rawPath);
    }
    String rest = rawPath.substring("/ipfs/".length());
    String[] parts = rest.split("/", -1);
    Cid cid;
    try {
      cid = Cid.parse(parts[0]);
    } catch (InvalidCidException e) {
      throw new BadRequest("invalid CID '" + parts[0] + "': " + e.getMessage());
    }
    List<String> segments = new ArrayList<>();
    for (int i = 1; i < parts.length; i++) {
      if (parts[i].isEmpty()) {
        continue;
      }
      String name = percentDecode(parts[i]);
      if (name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
        throw new BadRequest("invalid path segment '" + parts[i] + "'");
      }
      segments.add(name);
    }
    return new GatewayRequest(cid, List.copyOf(segments), format(formatParam, accept));
  }

  private static Format format(String param, String accept) throws BadRequest {
    if (param != null && !param.isEmpty()) {
      return switch (param) {
        case "raw" -> Format.RAW;
        case "car" -> Format.CAR;
        default -> throw new BadRequest("unsupported format '" + param + "' (raw, car)");
      };
    }
    if (accept != null) {
      if (accept.contains("application/vnd.ipld.raw")) {
        return Format.RAW;
      }
      if (accept.contains("application/vnd.ipld.car")) {
        return Format.CAR;
      }
    }
    return Format.UNIXFS;
  }

  /** Percent-decoding of a path segment: {@code +} stays a plus; a malformed escape is refused. */
  static String percentDecode(String s) throws BadRequest {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    int plain = 0; // start of the run of characters since the last escape
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != '%') {
        continue;
      }
      out.writeBytes(s.substring(plain, i).getBytes(StandardCharsets.UTF_8));
      if (i + 2 >= s.length()) {
        throw new BadRequest("malformed percent-escape in '" + s + "'");
      }
      int hi = AsciiHex.digit(s.charAt(i + 1));
      int lo = AsciiHex.digit(s.charAt(i + 2));
      if (hi < 0 || lo < 0) {
        throw new BadRequest("malformed percent-escape in '" + s + "'");
      }
      out.write(hi * 16 + lo);
      i += 2;
      plain = i + 1;
    }
    out.writeBytes(s.substring(plain).getBytes(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

}
