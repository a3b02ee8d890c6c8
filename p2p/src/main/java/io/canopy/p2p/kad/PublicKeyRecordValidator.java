package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import java.util.List;

/**
 * {@code /pk/<binary peer ID>} records: the value is the peer's public key protobuf, valid if it
 * hashes to that peer ID (go-libp2p-record's PublicKeyValidator). All valid values for a key are
 * the same key, so select takes the first.
 */
public final class PublicKeyRecordValidator implements RecordValidator {
  public static final String NAMESPACE = "pk";

  @Override
  public void validate(byte[] key, byte[] value) {
    if (!NAMESPACE.equals(RecordKeys.namespace(key))) {
      throw new InvalidRecordException("not a /pk/ key");
    }
    PeerId claimed;
    try {
      claimed = PeerId.fromBytes(RecordKeys.rest(key));
    } catch (IllegalArgumentException e) {
      throw new InvalidRecordException("/pk/ key does not end in a peer ID: " + e.getMessage(), e);
    }
    PeerId actual;
    try {
      actual = PeerId.fromPublicKeyProtobuf(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidRecordException("/pk/ value is not a public key: " + e.getMessage(), e);
    }
    if (!actual.equals(claimed)) {
      throw new InvalidRecordException("/pk/ value is the key of " + actual + ", not of " + claimed);
    }
  }

  @Override
  public int select(byte[] key, List<byte[]> values) {
    return 0;
  }
}
