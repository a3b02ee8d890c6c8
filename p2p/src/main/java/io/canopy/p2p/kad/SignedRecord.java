package io.canopy.p2p.kad;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.identity.PublicKey;
import io.canopy.identity.PublicKeys;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A Canopy DHT record: a payload that a peer publishes under its own name, stored at key
 * {@code /canopy/<peer ID base58>/<name>}. The value is a signed envelope (protobuf):
 *
 * <pre>
 * message SignedRecord {
 *   bytes  publicKey = 1;  // libp2p PublicKey protobuf of the author
 *   uint64 sequence  = 2;  // higher replaces lower
 *   bytes  payload   = 3;
 *   bytes  signature = 4;  // over DOMAIN || protobuf{1: key, 2: sequence, 3: payload}
 * }
 * </pre>
 *
 * The signature covers the key, so a record cannot be replayed under another name, and starts
 * with a domain string, so it cannot be confused with anything else the key signs. The storage
 * layer announces capacity with these.
 */
public record SignedRecord(PeerId author, String name, long sequence, byte[] payload, byte[] publicKey, byte[] signature) {
  public static final String NAMESPACE = "canopy";
  static final byte[] DOMAIN = "canopy-dht-record:".getBytes(StandardCharsets.UTF_8);
  public static final int MAX_NAME_LENGTH = 128;

  /** Signs {@code payload} as record {@code name} of the key's peer, with this sequence number. */
  public static SignedRecord sign(Ed25519PrivateKey identity, String name, long sequence, byte[] payload) {
    checkName(name);
    if (sequence < 0) {
      throw new IllegalArgumentException("sequence must not be negative");
    }
    PeerId author = identity.peerId();
    byte[] signature = identity.sign(signedBytes(key(author, name), sequence, payload));
    return new SignedRecord(author, name, sequence, payload.clone(), identity.publicKey().toProtobuf(), signature);
  }

  /** {@code /canopy/<peer>/<name>}, UTF-8. */
  public static byte[] key(PeerId author, String name) {
    checkName(name);
    return ("/" + NAMESPACE + "/" + author + "/" + name).getBytes(StandardCharsets.UTF_8);
  }

  public byte[] key() {
    return key(author, name);
  }

  /** The envelope: the DHT record's value. */
  public byte[] encode() {
    return new ProtoWriter(payload.length + 128)
        .bytes(1, publicKey)
        .varint(2, sequence)
        .bytes(3, payload)
        .bytes(4, signature)
        .toByteArray();
  }

  /**
   * Parses and verifies the record stored under {@code key}: the key names the author and the
   * name in the form {@link #key(PeerId, String)} writes, the envelope's public key is the
   * author's and its signature is valid.
   */
  public static SignedRecord verify(byte[] key, byte[] value) {
    if (!NAMESPACE.equals(RecordKeys.namespace(key))) {
      throw new InvalidRecordException("not a /" + NAMESPACE + "/ key");
    }
    String rest = new String(RecordKeys.rest(key), StandardCharsets.UTF_8);
    int slash = rest.indexOf('/');
    if (slash <= 0) {
      throw new InvalidRecordException("key is not /" + NAMESPACE + "/<peer>/<name>");
    }
    PeerId author;
    try {
      author = PeerId.parse(rest.substring(0, slash));
    } catch (IllegalArgumentException e) {
      throw new InvalidRecordException("key does not name a peer: " + e.getMessage(), e);
    }
    String name = rest.substring(slash + 1);
    try {
      checkName(name);
    } catch (IllegalArgumentException e) {
      throw new InvalidRecordException(e.getMessage(), e);
    }
    // One record, one key: the author as base58btc (not a CID form of it) and the name as valid
    // UTF-8, exactly as key(author, name) writes it. Otherwise the record read back would name a
    // key it was not stored or signed under (a name's invalid UTF-8 reads as U+FFFD).
    if (!Arrays.equals(key, key(author, name))) {
      throw new InvalidRecordException("key is not in its canonical form " + RecordKeys.describe(key(author, name)));
    }
    byte[] publicKey = null;
    long sequence = 0;
    byte[] payload = new byte[0];
    byte[] signature = null;
    try {
      ProtoReader r = new ProtoReader(value);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> publicKey = r.bytes();
          case 2 -> sequence = r.varint();
          case 3 -> payload = r.bytes();
          case 4 -> signature = r.bytes();
          default -> r.skip();
        }
      }
    } catch (IllegalArgumentException e) {
      throw new InvalidRecordException("malformed signed record: " + e.getMessage(), e);
    }
    if (publicKey == null || signature == null) {
      throw new InvalidRecordException("signed record lacks its public key or signature");
    }
    if (sequence < 0) {
      throw new InvalidRecordException("sequence number out of range");
    }
    PublicKey authorKey;
    try {
      authorKey = PublicKeys.decode(publicKey);
    } catch (IllegalArgumentException e) {
      throw new InvalidRecordException("signed record's public key is malformed: " + e.getMessage(), e);
    }
    if (!author.matches(authorKey)) {
      throw new InvalidRecordException("signed record's key is not the key of " + author);
    }
    if (!authorKey.verify(signedBytes(key, sequence, payload), signature)) {
      throw new InvalidRecordException("signature of " + RecordKeys.describe(key) + " does not verify");
    }
    return new SignedRecord(author, name, sequence, payload, publicKey, signature);
  }

  private static byte[] signedBytes(byte[] key, long sequence, byte[] payload) {
    byte[] body = new ProtoWriter(key.length + payload.length + 16).bytes(1, key).varint(2, sequence).bytes(3, payload).toByteArray();
    byte[] out = new byte[DOMAIN.length + body.length];
    System.arraycopy(DOMAIN, 0, out, 0, DOMAIN.length);
    System.arraycopy(body, 0, out, DOMAIN.length, body.length);
    return out;
  }

  private static void checkName(String name) {
    if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException("record name must be 1 to " + MAX_NAME_LENGTH + " bytes");
    }
  }

  @Override
  public String toString() {
    return "SignedRecord[/" + NAMESPACE + "/" + author + "/" + name + " #" + sequence + ", " + payload.length + " bytes]";
  }
}
