package io.canopy.multiaddr;

import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.bytesOfSize;
import static io.canopy.testing.RandomInputs.describe;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.hex;
import static io.canopy.testing.RandomInputs.intBetween;
import static io.canopy.testing.RandomInputs.oneOf;
import static io.canopy.testing.RandomInputs.stringOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Multibase;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Round-trip and robustness properties over seeded random multiaddrs (plain JUnit loops). */
class MultiaddrPropertiesTest {
  private static final int TRIES = 300;

  // ---- generators ----------------------------------------------------------------------------

  static Multiaddr randomMultiaddr(SplittableRandom r) {
    List<Component> components = new ArrayList<>();
    int count = intBetween(r, 1, 6);
    for (int i = 0; i < count; i++) {
      components.add(randomComponent(r, i == count - 1));
    }
    return Multiaddr.of(components);
  }

  static Component randomComponent(SplittableRandom r, boolean last) {
    Protocol[] choices = Arrays.stream(Protocol.values()).filter(p -> last || !p.isPath()).toArray(Protocol[]::new);
    Protocol p = oneOf(r, choices);
    if (!p.hasValue()) {
      return Component.of(p);
    }
    return switch (p) {
      case IP4 -> Component.fromValueBytes(p, bytesOfSize(r, 4));
      case IP6 -> Component.fromValueBytes(p, randomIpv6(r));
      case TCP, UDP, DCCP, SCTP -> Component.of(p, Integer.toString(r.nextInt(65536)));
      case IPCIDR -> Component.of(p, Integer.toString(r.nextInt(256)));
      case DNS, DNS4, DNS6, DNSADDR, SNI -> Component.of(p, randomDnsName(r));
      case IP6ZONE -> Component.of(p, "x" + stringOf(r, 8, "abcdefgh0123456789%.-_:~!"));
      case UNIX -> Component.of(p, randomUnixPath(r));
      case P2P -> Component.fromValueBytes(p, randomPeerId(r).toBytes());
      case CERTHASH -> Component.fromValueBytes(p, Multihash.compute(Multicodec.SHA2_256, bytes(r, 16)).toBytes());
      default -> throw new AssertionError(p);
    };
  }

  /** Addresses with runs of zero groups (so that "::" placement is exercised) and mapped ones. */
  static byte[] randomIpv6(SplittableRandom r) {
    byte[] a = bytesOfSize(r, 16);
    switch (r.nextInt(4)) {
      case 0 -> Arrays.fill(a, 0, 10, (byte) 0); // IPv4-mapped (or nearly: bytes 10, 11 follow)
      case 1 -> {
        for (int g = 0; g < 8; g++) {
          if (r.nextBoolean()) {
            a[2 * g] = 0;
            a[2 * g + 1] = 0;
          }
        }
      }
      default -> { }
    }
    if (r.nextInt(4) == 0) {
      a[10] = (byte) 0xff;
      a[11] = (byte) 0xff;
    }
    return a;
  }

  static String randomDnsName(SplittableRandom r) {
    int labels = intBetween(r, 1, 4);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < labels; i++) {
      if (i > 0) {
        sb.append('.');
      }
      sb.append('a').append(stringOf(r, 12, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"));
    }
    return r.nextInt(8) == 0 ? sb.append('.').toString() : sb.toString();
  }

  static String randomUnixPath(SplittableRandom r) {
    int segments = intBetween(r, 1, 4);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < segments; i++) {
      sb.append('/').append('s').append(stringOf(r, 10, "abcXYZ019._- +:@ñ中\u00e9"));
    }
    return sb.toString();
  }

  static PeerId randomPeerId(SplittableRandom r) {
    if (r.nextBoolean()) {
      return Ed25519PrivateKey.fromSeed(bytesOfSize(r, 32)).peerId();
    }
    return PeerId.fromMultihash(Multihash.compute(Multicodec.SHA2_256, bytes(r, 64)));
  }

  // ---- properties ----------------------------------------------------------------------------

  @Test
  void binaryAndTextRoundTrip() {
    List<Multiaddr> edges = List.of(
        Multiaddr.parse("/ip4/0.0.0.0/tcp/0"),
        Multiaddr.parse("/ip6/::/udp/65535/quic-v1"),
        Multiaddr.parse("/ip6/::ffff:255.255.255.255"),
        Multiaddr.parse("/unix/a"),
        Multiaddr.parse("/dns/" + ("a".repeat(63) + ".").repeat(3) + "a".repeat(61)));
    forAll(0x6d61L, TRIES, edges, MultiaddrPropertiesTest::randomMultiaddr,
        m -> m + " = " + hex(m.toBytes()),
        m -> {
          Multiaddr fromBytes = Multiaddr.fromBytes(m.toBytes());
          assertThat(fromBytes).isEqualTo(m);
          assertThat(fromBytes.components()).isEqualTo(m.components());
          assertThat(fromBytes.toString()).isEqualTo(m.toString());

          Multiaddr fromText = Multiaddr.parse(m.toString());
          assertThat(fromText).isEqualTo(m);
          assertThat(fromText.toString()).isEqualTo(m.toString());
          assertThat(Multiaddr.parse(m + "/")).isEqualTo(m);

          // Components print as their text, and values parse back to the same bytes.
          StringBuilder joined = new StringBuilder();
          for (Component c : m.components()) {
            joined.append(c);
            assertThat(Component.of(c.protocol(), c.value())).isEqualTo(c);
          }
          assertThat(joined.toString()).isEqualTo(m.toString());
        });
  }

  @Test
  void encapsulateThenDecapsulateIsTheIdentity() {
    forAll(0xe4cL, TRIES, List.of(),
        r -> List.of(randomMultiaddr(r), randomMultiaddr(r)),
        pair -> pair.get(0) + " + " + pair.get(1),
        pair -> {
          Multiaddr outer = pair.get(0);
          Multiaddr inner = pair.get(1);
          if (outer.protocols().contains(Protocol.UNIX)) {
            return; // nothing may follow a path
          }
          Multiaddr joined = outer.encapsulate(inner);
          assertThat(joined.toString()).isEqualTo(outer.toString() + inner);
          assertThat(joined.decapsulate(inner)).isEqualTo(outer);
          assertThat(Multiaddr.fromBytes(joined.toBytes())).isEqualTo(joined);
        });
  }

  @Test
  void ipv6TextAgreesWithTheJdkParser() {
    forAll(0x1b6L, TRIES, List.of(new byte[16]), MultiaddrPropertiesTest::randomIpv6, b -> hex(b), address -> {
      String text = IpLiteral.formatIpv6(address);
      assertThat(IpLiteral.parseIpv6(text)).isEqualTo(address);
      // The JDK reads IPv6 literals without any lookup; it turns IPv4-mapped ones into IPv4.
      byte[] jdk = InetAddress.getByName(text).getAddress();
      byte[] expected = IpLiteral.isIpv4Mapped(address) ? Arrays.copyOfRange(address, 12, 16) : address;
      assertThat(jdk).isEqualTo(expected);
      // Go's form: lowercase, no group with a leading zero, at most one "::".
      assertThat(text).isEqualTo(text.toLowerCase()).doesNotContain(":::");
      assertThat(text.indexOf("::")).isEqualTo(text.lastIndexOf("::"));
      // The uncompressed, uppercase, zero-padded spelling parses to the same bytes.
      StringBuilder full = new StringBuilder();
      for (int g = 0; g < 8; g++) {
        full.append(g == 0 ? "" : ":").append(String.format("%02X%02X", address[2 * g], address[2 * g + 1]));
      }
      assertThat(IpLiteral.parseIpv6(full.toString())).isEqualTo(address);
    });
  }

  /** Random and mutated binary input: a valid multiaddr that round-trips, or our exception. */
  @Test
  void arbitraryBytesNeverCrash() {
    List<byte[]> edges = List.of(new byte[0], new byte[] {0}, new byte[] {(byte) 0x80}, new byte[1024],
        new byte[1025], new byte[] {(byte) 0xa5, 0x03, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f});
    forAll(0xb17e5L, 1000, edges, r -> {
      if (r.nextInt(3) == 0) {
        return bytes(r, 64);
      }
      byte[] valid = randomMultiaddr(r).toBytes();
      return mutate(r, valid);
    }, b -> hex(b), b -> {
      Multiaddr m;
      try {
        m = Multiaddr.fromBytes(b);
      } catch (InvalidMultiaddrException e) {
        assertThat(e.getMessage()).startsWith("invalid multiaddr bytes ");
        return;
      }
      assertThat(m.toBytes()).isEqualTo(b);
      assertThat(Multiaddr.parse(m.toString())).isEqualTo(m);
    });
  }

  /** Random and mutated text: a valid multiaddr whose text round-trips, or our exception. */
  @Test
  void arbitraryTextNeverCrashes() {
    String alphabet = "/ip46tcudpnsx0123456789.:abcdef%2F-_ \u00e9\uD800";
    List<String> edges = List.of("", "/", "//", "/ip4", "/unix/", "/unix/%", "/unix/%2", "/p2p/1",
        "/ip6/" + ":".repeat(40), "/" + "a".repeat(3000));
    forAll(0x7e47L, 1000, edges, r -> {
      switch (r.nextInt(3)) {
        case 0:
          return stringOf(r, 40, alphabet);
        case 1: {
          StringBuilder sb = new StringBuilder();
          int steps = intBetween(r, 1, 6);
          for (int i = 0; i < steps; i++) {
            sb.append('/').append(r.nextBoolean()
                ? oneOf(r, Protocol.values()).specName()
                : stringOf(r, 12, alphabet.substring(1)));
          }
          return sb.toString();
        }
        default: {
          char[] text = randomMultiaddr(r).toString().toCharArray();
          int edits = intBetween(r, 1, 3);
          for (int i = 0; i < edits && text.length > 0; i++) {
            text[r.nextInt(text.length)] = alphabet.charAt(r.nextInt(alphabet.length()));
          }
          return new String(text);
        }
      }
    }, s -> describe(s), s -> {
      Multiaddr m;
      try {
        m = Multiaddr.parse(s);
      } catch (InvalidMultiaddrException e) {
        assertThat(e.getMessage()).startsWith("invalid multiaddr ");
        return;
      }
      assertThat(Multiaddr.parse(m.toString())).isEqualTo(m);
      assertThat(Multiaddr.fromBytes(m.toBytes()).toString()).isEqualTo(m.toString());
    });
  }

  @Test
  void peerIdComponentsInEveryTextForm() {
    forAll(0x9eeL, 100, List.of(), MultiaddrPropertiesTest::randomPeerId, PeerId::toString, peer -> {
      Multiaddr expected = Multiaddr.parse("/ip4/1.2.3.4/tcp/1/p2p/" + peer);
      for (String form : List.of(peer.toString(), peer.toCid().toString(), peer.toCidString(Multibase.BASE36),
          peer.toCidString(Multibase.BASE58_BTC))) {
        assertThat(Multiaddr.parse("/ip4/1.2.3.4/tcp/1/ipfs/" + form)).isEqualTo(expected);
      }
      assertThat(expected.peerId()).contains(peer);
      assertThat(expected).hasToString("/ip4/1.2.3.4/tcp/1/p2p/" + peer);
    });
  }

  private static byte[] mutate(SplittableRandom r, byte[] valid) {
    switch (r.nextInt(4)) {
      case 0: { // flip a byte
        byte[] b = valid.clone();
        b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
        return b;
      }
      case 1: // truncate
        return Arrays.copyOf(valid, r.nextInt(valid.length));
      case 2: { // insert a random byte
        int at = r.nextInt(valid.length + 1);
        byte[] b = new byte[valid.length + 1];
        System.arraycopy(valid, 0, b, 0, at);
        b[at] = (byte) r.nextInt(256);
        System.arraycopy(valid, at, b, at + 1, valid.length - at);
        return b;
      }
      default:
        return valid;
    }
  }
}
