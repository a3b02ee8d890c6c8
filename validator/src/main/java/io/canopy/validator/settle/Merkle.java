package io.canopy.validator.settle;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The Merkle root of an epoch's payouts (spec/settlement.md §7.6):
 *
 * <pre>
 * leaf  = SHA-256(0x00 ‖ u32be(len(account)) ‖ account UTF-8 ‖ u64be(amount))
 * node  = SHA-256(0x01 ‖ left ‖ right)
 * </pre>
 *
 * over the payouts in account order; a level with an odd count promotes its last node unchanged;
 * the root of no payouts is SHA-256 of the empty string.
 */
public final class Merkle {
  private Merkle() {}

  public static byte[] leaf(Payout p) {
    byte[] account = p.account().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(1 + 4 + account.length + 8);
    b.put((byte) 0x00).putInt(account.length).put(account).putLong(p.amount());
    return sha256().digest(b.array());
  }

  public static byte[] root(List<Payout> payouts) {
    if (payouts.isEmpty()) {
      return sha256().digest(new byte[0]);
    }
    List<byte[]> level = new ArrayList<>(payouts.size());
    for (Payout p : payouts) {
      level.add(leaf(p));
    }
    MessageDigest d = sha256();
    while (level.size() > 1) {
      List<byte[]> up = new ArrayList<>((level.size() + 1) / 2);
      for (int i = 0; i + 1 < level.size(); i += 2) {
        d.update((byte) 0x01);
        d.update(level.get(i));
        d.update(level.get(i + 1));
        up.add(d.digest());
      }
      if (level.size() % 2 == 1) {
        up.add(level.get(level.size() - 1));
      }
      level = up;
    }
    return level.get(0);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
