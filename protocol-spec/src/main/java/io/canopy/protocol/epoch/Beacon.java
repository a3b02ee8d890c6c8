package io.canopy.protocol.epoch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** An epoch's 32-byte public random value (spec/epochs.md §4.2). */
public final class Beacon {
  public static final int LENGTH = 32;
  static final byte[] DOMAIN = "canopy-beacon-v1".getBytes(StandardCharsets.US_ASCII);

  private final byte[] bytes;

  private Beacon(byte[] bytes) {
    this.bytes = bytes;
  }

  /** {@code beacon(0)} of the network named {@code networkId}. */
  public static Beacon genesis(String networkId) {
    MessageDigest d = sha256();
    d.update(DOMAIN);
    d.update("genesis".getBytes(StandardCharsets.US_ASCII));
    d.update(networkId.getBytes(StandardCharsets.UTF_8));
    return new Beacon(d.digest());
  }

  /** {@code beacon(e)} from the hash of epoch {@code e-1}'s final settlement record. */
  public static Beacon afterSettlement(byte[] settlementHash) {
    if (settlementHash.length != 32) {
      throw new IllegalArgumentException("a settlement hash is 32 bytes, got " + settlementHash.length);
    }
    MessageDigest d = sha256();
    d.update(DOMAIN);
    d.update(settlementHash);
    return new Beacon(d.digest());
  }

  public static Beacon of(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("a beacon is " + LENGTH + " bytes, got " + bytes.length);
    }
    return new Beacon(bytes.clone());
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Beacon b && Arrays.equals(bytes, b.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return HexFormat.of().formatHex(bytes);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
