package io.canopy.p2p.kad;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Record keys are paths {@code /namespace/rest} (go-libp2p-record's convention): the namespace
 * names the validator. The rest may be binary ({@code /pk/} and {@code /ipns/} put the raw peer
 * ID bytes there).
 */
final class RecordKeys {
  private RecordKeys() {}

  /** The namespace of {@code key}: between the leading '/' and the next one. */
  static String namespace(byte[] key) {
    if (key.length < 3 || key[0] != '/') {
      throw new InvalidRecordException("record key does not start with /namespace/");
    }
    for (int i = 1; i < key.length; i++) {
      if (key[i] == '/') {
        if (i == 1) {
          break;
        }
        return new String(key, 1, i - 1, StandardCharsets.UTF_8);
      }
    }
    throw new InvalidRecordException("record key does not start with /namespace/");
  }

  /** The bytes after {@code /namespace/}. */
  static byte[] rest(byte[] key) {
    int start = namespace(key).getBytes(StandardCharsets.UTF_8).length + 2;
    byte[] out = new byte[key.length - start];
    System.arraycopy(key, start, out, 0, out.length);
    return out;
  }

  /** Printable form for messages and logs: text if the key is printable ASCII, hex otherwise. */
  static String describe(byte[] key) {
    for (byte b : key) {
      if (b < 0x20 || b > 0x7E) {
        return "0x" + HexFormat.of().formatHex(key, 0, Math.min(key.length, 48)) + (key.length > 48 ? "…" : "");
      }
    }
    String s = new String(key, StandardCharsets.US_ASCII);
    return s.length() > 96 ? s.substring(0, 96) + "…" : s;
  }
}
