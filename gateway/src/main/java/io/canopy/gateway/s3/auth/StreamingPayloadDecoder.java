package io.canopy.gateway.s3.auth;

import io.canopy.gateway.http.AsciiHex;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;

/**
 * Reads the data out of an {@code aws-chunked} body (S3 API Reference, "Chunked Upload" and
 * "Trailing headers"), checking it as it goes:
 *
 * <pre>
 *   hex-size[;chunk-signature=sig] CRLF data CRLF      (repeated)
 *   0[;chunk-signature=sig] CRLF
 *   [trailer-name:value CRLF ...] [x-amz-trailer-signature:sig CRLF]   (trailer modes)
 *   CRLF
 * </pre>
 *
 * <ul>
 *   <li>Signed chunks: chunk n's signature is HMAC(signing key, "AWS4-HMAC-SHA256-PAYLOAD" \n
 *       date \n scope \n signature of chunk n-1 (the request's seed signature for the first) \n
 *       hash("") \n hash(chunk data)); the final empty chunk is signed too.
 *   <li>Signed trailer: HMAC(signing key, "AWS4-HMAC-SHA256-TRAILER" \n date \n scope \n
 *       signature of the final chunk \n hash(each trailer line as "name:value\n")).
 *   <li>The checksum named by {@code x-amz-trailer} is computed over the data and compared with
 *       the trailer's value; the data's total must equal {@code x-amz-decoded-content-length}.
 * </ul>
 *
 * <p>Data is handed on as it arrives (nothing is held back but a read buffer), so a chunk's bytes
 * reach the caller before its signature has been checked. Every check (a chunk's signature when
 * its data ends, the final signatures, checksum and length) runs before the next byte or the
 * end-of-stream is returned, and a failure is thrown from {@code read} instead: the data is
 * complete and valid only once {@code read} has returned -1. After a failure every read throws it
 * again.
 *
 * <p>Limits: a chunk header line is at most {@link S3AuthConfig#maxChunkHeaderLength()} bytes and
 * the trailer at most {@link S3AuthConfig#maxTrailerLength()}; a chunk may not carry more data
 * than the declared length has left.
 */
public final class StreamingPayloadDecoder extends InputStream {
  private static final String CHUNK_SIGNATURE = "chunk-signature";
  private static final String TRAILER_SIGNATURE = "x-amz-trailer-signature";

  private enum State { CHUNK_HEADER, CHUNK_DATA, DONE }

  private final InputStream in;
  private final StreamingPayload payload;
  private final StreamingPayload.ChunkSigningSeed seed;
  private final Mac mac;
  private final MessageDigest chunkDigest;
  private final ChecksumAlgorithm.Accumulator checksum;

  private State state = State.CHUNK_HEADER;
  private String previousSignature;
  private String chunkSignature;
  private long chunkRemaining;
  private long decoded;
  private String verifiedChecksum;
  private S3AuthException failure;

  /** A decoder reading {@code raw}, the body of a request that {@code payload} describes. */
  public StreamingPayloadDecoder(InputStream raw, StreamingPayload payload) {
    this.in = new BufferedInputStream(Objects.requireNonNull(raw, "raw"), 8192);
    this.payload = Objects.requireNonNull(payload, "payload");
    this.seed = payload.seed();
    this.mac = seed == null ? null : SigV4.newMac(seed.signingKey());
    this.chunkDigest = seed == null ? null : SigV4.sha256();
    this.previousSignature = seed == null ? null : seed.seedSignature();
    this.checksum = payload.trailingChecksum() == null ? null : payload.trailingChecksum().newAccumulator();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (failure != null) {
      throw failure;
    }
    if (len == 0) {
      return 0;
    }
    try {
      while (true) {
        switch (state) {
          case DONE:
            return -1;
          case CHUNK_HEADER:
            readChunkHeader();
            break;
          case CHUNK_DATA:
            if (chunkRemaining == 0) {
              endChunk();
              state = State.CHUNK_HEADER;
              break;
            }
            int n = in.read(b, off, (int) Math.min(len, chunkRemaining));
            if (n < 0) {
              throw incomplete("The body ended inside a chunk.");
            }
            if (chunkDigest != null) {
              chunkDigest.update(b, off, n);
            }
            if (checksum != null) {
              checksum.update(b, off, n);
            }
            chunkRemaining -= n;
            decoded += n;
            return n;
          default:
            throw new IllegalStateException(state.toString());
        }
      }
    } catch (S3AuthException e) {
      failure = e;
      throw e;
    }
  }

  @Override
  public int available() throws IOException {
    return state == State.CHUNK_DATA ? (int) Math.min(in.available(), chunkRemaining) : 0;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /** The number of data bytes decoded so far. */
  public long decodedLength() {
    return decoded;
  }

  /**
   * The base64 trailing checksum, once it has been checked (after end-of-stream); null before,
   * or if none was declared. The object layer may store it and return it as S3 does.
   */
  public String verifiedTrailingChecksum() {
    return verifiedChecksum;
  }

  // ---- framing ----------------------------------------------------------------------------

  private void readChunkHeader() throws IOException {
    String line = readLine(payload.maxChunkHeaderLength(), true, "chunk header");
    int semi = line.indexOf(';');
    String sizeHex = semi < 0 ? line : line.substring(0, semi);
    long size = parseChunkSize(sizeHex);
    String signature = null;
    if (semi >= 0) {
      for (String extension : line.substring(semi + 1).split(";", -1)) {
        int eq = extension.indexOf('=');
        String name = eq < 0 ? extension : extension.substring(0, eq);
        if (name.equals(CHUNK_SIGNATURE)) {
          if (signature != null) {
            throw malformed("A chunk header has two chunk signatures.");
          }
          signature = eq < 0 ? "" : extension.substring(eq + 1);
        }
      }
    }
    if (seed != null && !SigV4.isLowerHex(signature, 64)) {
      throw malformed("A chunk header lacks a valid chunk-signature.");
    }
    if (size > payload.decodedContentLength() - decoded) {
      throw malformed("The chunks carry more data than x-amz-decoded-content-length ("
          + payload.decodedContentLength() + ").");
    }
    chunkSignature = signature;
    chunkRemaining = size;
    if (chunkDigest != null) {
      chunkDigest.reset();
    }
    if (size == 0) {
      finish();
      state = State.DONE;
    } else {
      state = State.CHUNK_DATA;
    }
  }

  private static long parseChunkSize(String hex) throws S3AuthException {
    if (hex.isEmpty() || hex.length() > 15) {
      throw malformed("Invalid chunk size \"" + printable(hex) + "\".");
    }
    long size = 0;
    for (int i = 0; i < hex.length(); i++) {
      int digit = AsciiHex.digit(hex.charAt(i));
      if (digit < 0) {
        throw malformed("Invalid chunk size \"" + printable(hex) + "\".");
      }
      size = size << 4 | digit;
    }
    return size;
  }

  /** After a chunk's data: its CRLF, then its signature. */
  private void endChunk() throws IOException {
    int cr = in.read();
    int lf = cr < 0 ? -1 : in.read();
    if (cr < 0 || lf < 0) {
      throw incomplete("The body ended after a chunk's data.");
    }
    if (cr != '\r' || lf != '\n') {
      throw malformed("A chunk's data is not followed by CRLF.");
    }
    if (seed != null) {
      verifyChunkSignature(SigV4.hex(chunkDigest.digest()));
    }
  }

  /** After the final (empty) chunk's header: its signature, the trailer, the totals, the end. */
  private void finish() throws IOException {
    if (seed != null) {
      verifyChunkSignature(SigV4.EMPTY_SHA256);
    }
    Map<String, String> trailer = readTrailer();
    if (decoded != payload.decodedContentLength()) {
      throw incomplete("The chunks carry " + decoded + " bytes, x-amz-decoded-content-length says "
          + payload.decodedContentLength() + ".");
    }
    ChecksumAlgorithm algorithm = payload.trailingChecksum();
    if (algorithm != null) {
      verifyChecksum(algorithm, trailer.get(algorithm.headerName()));
    }
    if (in.read() >= 0) {
      throw malformed("There is data after the final chunk.");
    }
  }

  /**
   * The trailing header lines up to the empty line ending the body (there are none in the mode
   * without a trailer), with the trailer signature checked in the signed-trailer mode.
   */
  private Map<String, String> readTrailer() throws IOException {
    Map<String, String> fields = new LinkedHashMap<>();
    StringBuilder canonical = new StringBuilder();
    String signature = null;
    int budget = payload.maxTrailerLength();
    while (true) {
      if (budget < 2) {
        throw malformed("The trailer is longer than " + payload.maxTrailerLength() + " bytes.");
      }
      String line = readLine(budget, false, "trailer");
      budget -= line.length() + 2;
      if (line.isEmpty()) {
        break;
      }
      if (!payload.mode().hasTrailer()) {
        throw malformed("The final chunk is not followed by CRLF.");
      }
      if (signature != null) {
        throw malformed("A trailing header follows the trailer signature.");
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw malformed("A trailing header has no name.");
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (name.equals(TRAILER_SIGNATURE)) {
        signature = value;
        continue;
      }
      if (fields.putIfAbsent(name, value) != null) {
        throw malformed("The trailing header " + name + " is repeated.");
      }
      canonical.append(name).append(':').append(value).append('\n');
    }
    if (payload.mode() == PayloadMode.STREAMING_SIGNED_TRAILER) {
      if (!SigV4.isLowerHex(signature, 64)) {
        throw malformed("The trailer lacks a valid x-amz-trailer-signature.");
      }
      String stringToSign = "AWS4-HMAC-SHA256-TRAILER\n" + seed.amzDate() + '\n' + seed.scope() + '\n'
          + previousSignature + '\n' + SigV4.sha256Hex(canonical.toString().getBytes(StandardCharsets.UTF_8));
      String expected = SigV4.hex(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
      if (!SigV4.signaturesEqual(expected, signature)) {
        throw new S3AuthException(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
            "The trailer signature we calculated does not match the signature you provided.",
            SigV4.details("StringToSign", stringToSign, "SignatureProvided", signature));
      }
      previousSignature = expected;
    }
    return fields;
  }

  private void verifyChunkSignature(String dataSha256) throws S3AuthException {
    String stringToSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + seed.amzDate() + '\n' + seed.scope() + '\n'
        + previousSignature + '\n' + SigV4.EMPTY_SHA256 + '\n' + dataSha256;
    String expected = SigV4.hex(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
    if (!SigV4.signaturesEqual(expected, chunkSignature)) {
      throw new S3AuthException(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
          "The chunk signature we calculated does not match the signature you provided.",
          SigV4.details("StringToSign", stringToSign, "SignatureProvided", chunkSignature));
    }
    previousSignature = expected;
  }

  private void verifyChecksum(ChecksumAlgorithm algorithm, String value) throws S3AuthException {
    if (value == null) {
      throw malformed("The trailer lacks the " + algorithm.headerName() + " declared in x-amz-trailer.");
    }
    byte[] declared;
    try {
      declared = Base64.getDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      declared = null;
    }
    if (declared == null || declared.length != algorithm.length()) {
      throw new S3AuthException(S3AuthException.INVALID_DIGEST,
          "Value for " + algorithm.headerName() + " trailing header is invalid.");
    }
    byte[] actual = checksum.result();
    if (!MessageDigest.isEqual(declared, actual)) {
      throw new S3AuthException(S3AuthException.BAD_DIGEST,
          "The " + algorithm + " you specified did not match the calculated checksum.",
          SigV4.details("Expected" + algorithm, value, "Calculated" + algorithm,
              Base64.getEncoder().encodeToString(actual)));
    }
    verifiedChecksum = value;
  }

  /**
   * One line without its CRLF. At most {@code max} bytes with the CRLF; chunk headers must end in
   * CRLF, trailer lines may end in a bare LF (as some clients send them).
   */
  private String readLine(int max, boolean strictCrlf, String what) throws IOException {
    byte[] buf = new byte[Math.max(1, Math.min(max, 128))];
    int length = 0;
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw incomplete("The body ended inside a " + what + ".");
      }
      if (c == '\n') {
        if (length > 0 && buf[length - 1] == '\r') {
          length--;
        } else if (strictCrlf) {
          throw malformed("A " + what + " line ends in a bare LF.");
        }
        return new String(buf, 0, length, StandardCharsets.ISO_8859_1);
      }
      if (length >= max - 1) { // the line, its CR and its LF must fit in max
        throw malformed("A " + what + " line is longer than " + max + " bytes.");
      }
      if (length == buf.length) {
        buf = Arrays.copyOf(buf, Math.min(max, buf.length * 2));
      }
      buf[length++] = (byte) c;
    }
  }

  private static S3AuthException malformed(String message) {
    return new S3AuthException(S3AuthException.INVALID_REQUEST, "Malformed aws-chunked body: " + message);
  }

  private static S3AuthException incomplete(String message) {
    return new S3AuthException(S3AuthException.INCOMPLETE_BODY, message);
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(s.length(), 32); i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return sb.toString();
  }

}
