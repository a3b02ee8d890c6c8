package io.canopy.p2p.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.p2p.noise.NoiseHandshakeState.Role;
import io.canopy.p2p.noise.NoiseHandshakeState.TransportCiphers;
import io.canopy.testing.RandomInputs;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class NoiseHandshakeStateTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] EMPTY = new byte[0];

  private static byte[] hex(String s) {
    return HEX.parseHex(s);
  }

  /**
   * The cacophony test vector for Noise_XX_25519_ChaChaPoly_SHA256 (as distributed with the
   * Noise implementations, e.g. snow's tests/vectors/cacophony.txt): fixed keys, prologue "John
   * Galt", three handshake messages then three transport messages, alternating sides.
   */
  @Test
  void cacophonyVector() throws Exception {
    byte[] prologue = hex("4a6f686e2047616c74");
    X25519KeyPair initStatic = X25519KeyPair.fromPrivateKey(hex("e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1"));
    X25519KeyPair initEphemeral = X25519KeyPair.fromPrivateKey(hex("893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a"));
    X25519KeyPair respStatic = X25519KeyPair.fromPrivateKey(hex("4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893"));
    X25519KeyPair respEphemeral = X25519KeyPair.fromPrivateKey(hex("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b"));
    String[][] messages = {
      {"4c756477696720766f6e204d69736573",
       "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573"},
      {"4d757272617920526f746862617264",
       "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad"},
      {"462e20412e20486179656b",
       "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"},
      {"4361726c204d656e676572", "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"},
      {"4a65616e2d426170746973746520536179", "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"},
      {"457567656e2042f6686d20766f6e2042617765726b", "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"},
    };

    NoiseHandshakeState init = new NoiseHandshakeState(Role.INITIATOR, initStatic, initEphemeral, prologue);
    NoiseHandshakeState resp = new NoiseHandshakeState(Role.RESPONDER, respStatic, respEphemeral, prologue);

    for (int i = 0; i < 3; i++) {
      NoiseHandshakeState writer = i % 2 == 0 ? init : resp;
      NoiseHandshakeState reader = i % 2 == 0 ? resp : init;
      byte[] ciphertext = writer.writeMessage(hex(messages[i][0]));
      assertThat(HEX.formatHex(ciphertext)).as("handshake message %d", i).isEqualTo(messages[i][1]);
      assertThat(reader.readMessage(ciphertext)).isEqualTo(hex(messages[i][0]));
    }
    assertThat(init.isFinished()).isTrue();
    assertThat(resp.isFinished()).isTrue();
    String handshakeHash = "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e";
    assertThat(HEX.formatHex(init.handshakeHash())).isEqualTo(handshakeHash);
    assertThat(HEX.formatHex(resp.handshakeHash())).isEqualTo(handshakeHash);
    assertThat(init.remoteStaticKey()).isEqualTo(respStatic.publicKey());
    assertThat(resp.remoteStaticKey()).isEqualTo(initStatic.publicKey());

    TransportCiphers ic = init.split();
    TransportCiphers rc = resp.split();
    for (int i = 3; i < messages.length; i++) {
      // The sides keep alternating: message 3 is the responder's.
      CipherState sender = i % 2 == 0 ? ic.sender() : rc.sender();
      CipherState receiver = i % 2 == 0 ? rc.receiver() : ic.receiver();
      byte[] ciphertext = sender.encryptWithAd(EMPTY, hex(messages[i][0]));
      assertThat(HEX.formatHex(ciphertext)).as("transport message %d", i).isEqualTo(messages[i][1]);
      assertThat(receiver.decryptWithAd(EMPTY, ciphertext)).isEqualTo(hex(messages[i][0]));
    }
  }

  /** RFC 5869 test case 3 (SHA-256, empty salt and info): Noise's HKDF with a zero chaining key. */
  @Test
  void hkdfMatchesRfc5869() {
    byte[][] out = SymmetricState.hkdf(new byte[32], hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), 2);
    byte[] okm = new byte[42];
    System.arraycopy(out[0], 0, okm, 0, 32);
    System.arraycopy(out[1], 0, okm, 32, 10);
    assertThat(HEX.formatHex(okm))
        .isEqualTo("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  }

  @Test
  void protocolNameIsExactlyHashlenSoItIsPaddedNotHashed() {
    assertThat(NoiseHandshakeState.PROTOCOL_NAME).hasSize(32);
  }

  /** Random keys, prologues and payloads: both sides agree, and transport messages round-trip. */
  @Test
  void handshakesBetweenRandomKeysAgree() {
    RandomInputs.forAll(
        0x5eed_0003L,
        40,
        List.of(),
        r -> new byte[][] {
          RandomInputs.bytesOfSize(r, 32), RandomInputs.bytesOfSize(r, 32),
          RandomInputs.bytesOfSize(r, 32), RandomInputs.bytesOfSize(r, 32),
          RandomInputs.bytes(r, 64), RandomInputs.bytes(r, 300), RandomInputs.bytes(r, 300),
          RandomInputs.bytes(r, 300), RandomInputs.bytes(r, 1000)
        },
        v -> Arrays.stream(v).map(RandomInputs::hex).toList().toString(),
        v -> {
          NoiseHandshakeState i = new NoiseHandshakeState(
              Role.INITIATOR, X25519KeyPair.fromPrivateKey(v[0]), X25519KeyPair.fromPrivateKey(v[1]), v[4]);
          NoiseHandshakeState r = new NoiseHandshakeState(
              Role.RESPONDER, X25519KeyPair.fromPrivateKey(v[2]), X25519KeyPair.fromPrivateKey(v[3]), v[4]);
          assertThat(r.readMessage(i.writeMessage(v[5]))).isEqualTo(v[5]);
          assertThat(i.readMessage(r.writeMessage(v[6]))).isEqualTo(v[6]);
          assertThat(r.readMessage(i.writeMessage(v[7]))).isEqualTo(v[7]);
          assertThat(i.handshakeHash()).isEqualTo(r.handshakeHash());
          TransportCiphers ic = i.split();
          TransportCiphers rc = r.split();
          for (int n = 0; n < 3; n++) {
            assertThat(rc.receiver().decryptWithAd(EMPTY, ic.sender().encryptWithAd(EMPTY, v[8]))).isEqualTo(v[8]);
            assertThat(ic.receiver().decryptWithAd(EMPTY, rc.sender().encryptWithAd(EMPTY, v[8]))).isEqualTo(v[8]);
          }
          assertThat(ic.sender().nonce()).isEqualTo(3);
        });
  }

  private static NoiseHandshakeState[] pair() {
    SecureRandom random = new SecureRandom();
    return new NoiseHandshakeState[] {
      new NoiseHandshakeState(Role.INITIATOR, X25519KeyPair.generate(random), X25519KeyPair.generate(random), EMPTY),
      new NoiseHandshakeState(Role.RESPONDER, X25519KeyPair.generate(random), X25519KeyPair.generate(random), EMPTY)
    };
  }

  @Test
  void everyFlippedBitOfMessageTwoIsDetected() throws Exception {
    NoiseHandshakeState[] first = pair();
    first[1].readMessage(first[0].writeMessage(EMPTY));
    int length = first[1].writeMessage(new byte[10]).length;
    for (int bit = 0; bit < length * 8; bit += 7) { // the cleartext ephemeral key too: h covers it
      NoiseHandshakeState[] p = pair();
      p[1].readMessage(p[0].writeMessage(EMPTY));
      byte[] m = p[1].writeMessage(new byte[10]);
      m[bit / 8] ^= (byte) (1 << (bit % 8));
      NoiseHandshakeState initiator = p[0];
      assertThatThrownBy(() -> initiator.readMessage(m)).isInstanceOf(NoiseException.class);
      assertThatThrownBy(() -> initiator.writeMessage(EMPTY))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("failed");
    }
  }

  @Test
  void truncatedMessagesAreRejected() throws Exception {
    NoiseHandshakeState[] p = pair();
    byte[] m = p[0].writeMessage(EMPTY);
    assertThatThrownBy(() -> p[1].readMessage(Arrays.copyOf(m, 31))).hasMessageContaining("too short");

    NoiseHandshakeState[] q = pair();
    q[1].readMessage(q[0].writeMessage(EMPTY));
    byte[] m2 = q[1].writeMessage(EMPTY);
    assertThatThrownBy(() -> q[0].readMessage(Arrays.copyOf(m2, 32 + 40))).hasMessageContaining("too short");
  }

  @Test
  void lowOrderEphemeralKeyIsRejected() throws Exception {
    NoiseHandshakeState[] p = pair();
    p[0].writeMessage(EMPTY);
    p[1].readMessage(new byte[32]); // u = 0: every DH with it is all zeros
    assertThatThrownBy(() -> p[1].writeMessage(EMPTY))
        .isInstanceOf(NoiseException.class)
        .hasMessageContaining("low-order");
  }

  @Test
  void turnsAreEnforced() throws Exception {
    NoiseHandshakeState[] p = pair();
    assertThat(p[0].isMyTurn()).isTrue();
    assertThat(p[1].isMyTurn()).isFalse();
    assertThatThrownBy(() -> p[1].writeMessage(EMPTY)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> p[0].readMessage(new byte[32])).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(p[0]::split).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void oversizedPayloadIsRefused() {
    NoiseHandshakeState[] p = pair();
    assertThatThrownBy(() -> p[0].writeMessage(new byte[65535 - 31])).hasMessageContaining("exceeds 65535");
  }

  @Test
  void nonceSpaceEnds() throws Exception {
    CipherState c = new CipherState();
    c.initializeKey(new byte[32]);
    c.setNonce(-3L); // 2^64 - 3
    c.encryptWithAd(EMPTY, EMPTY);
    c.encryptWithAd(EMPTY, EMPTY); // nonce 2^64 - 2, the last usable one
    assertThatThrownBy(() -> c.encryptWithAd(EMPTY, EMPTY)).hasMessageContaining("exhausted");
  }

  @Test
  void nonceIsLittleEndianAfterFourZeroBytes() throws Exception {
    // Encrypting with nonce 1 must equal RFC 8439 ChaCha20-Poly1305 with IV 00000000 01000000 00000000.
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) 7);
    CipherState c = new CipherState();
    c.initializeKey(key);
    c.setNonce(1);
    byte[] ours = c.encryptWithAd(hex("aabb"), hex("0102030405"));
    javax.crypto.Cipher jdk = javax.crypto.Cipher.getInstance("ChaCha20-Poly1305");
    jdk.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "ChaCha20"),
        new javax.crypto.spec.IvParameterSpec(hex("000000000100000000000000")));
    jdk.updateAAD(hex("aabb"));
    assertThat(ours).isEqualTo(jdk.doFinal(hex("0102030405")));
    assertThat(c.nonce()).isEqualTo(2);
  }

  @Test
  void failedDecryptionDoesNotAdvanceTheNonce() throws Exception {
    CipherState a = new CipherState();
    CipherState b = new CipherState();
    a.initializeKey(new byte[32]);
    b.initializeKey(new byte[32]);
    byte[] ct = a.encryptWithAd(EMPTY, hex("00112233"));
    byte[] bad = ct.clone();
    bad[0] ^= 1;
    assertThatThrownBy(() -> b.decryptWithAd(EMPTY, bad)).isInstanceOf(NoiseException.class);
    assertThat(b.nonce()).isZero();
    assertThat(b.decryptWithAd(EMPTY, ct)).isEqualTo(hex("00112233"));
  }
}
