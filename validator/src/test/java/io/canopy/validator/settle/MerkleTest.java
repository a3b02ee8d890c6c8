package io.canopy.validator.settle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class MerkleTest {
  private static final HexFormat HEX = HexFormat.of();
  /** The spec's vectors (protocol-spec/src/test/resources/vectors/settlement/), read from the source tree. */
  private static final Path VECTORS = Path.of("..", "protocol-spec", "src", "test", "resources", "vectors", "settlement", "merkle.json");

  private static byte[] sha(byte[]... parts) {
    var d = Merkle.sha256();
    for (byte[] p : parts) {
      d.update(p);
    }
    return d.digest();
  }

  @Test
  void emptyTreeIsTheHashOfNothing() {
    assertThat(HEX.formatHex(Merkle.root(List.of())))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void leafIsTaggedLengthPrefixedAccountAndBigEndianAmount() {
    Payout p = new Payout("network", 258);
    byte[] expected = sha(new byte[] {0}, new byte[] {0, 0, 0, 7}, "network".getBytes(StandardCharsets.UTF_8),
        new byte[] {0, 0, 0, 0, 0, 0, 1, 2});
    assertThat(Merkle.leaf(p)).isEqualTo(expected);
    assertThat(Merkle.root(List.of(p))).isEqualTo(expected);
  }

  @Test
  void oddNodeIsPromotedUnchanged() {
    Payout a = new Payout("operator:a", 1);
    Payout b = new Payout("operator:b", 2);
    Payout c = new Payout("operator:c", 3);
    byte[] ab = sha(new byte[] {1}, Merkle.leaf(a), Merkle.leaf(b));
    assertThat(Merkle.root(List.of(a, b, c))).isEqualTo(sha(new byte[] {1}, ab, Merkle.leaf(c)));
    Payout d = new Payout("operator:d", 4);
    Payout e = new Payout("operator:e", 5);
    byte[] cd = sha(new byte[] {1}, Merkle.leaf(c), Merkle.leaf(d));
    byte[] abcd = sha(new byte[] {1}, ab, cd);
    assertThat(Merkle.root(List.of(a, b, c, d, e))).isEqualTo(sha(new byte[] {1}, abcd, Merkle.leaf(e)));
  }

  @Test
  void specVectors() throws Exception {
    JsonNode vectors = new ObjectMapper().readTree(VECTORS.toFile());
    assertThat(vectors.path("cases").size()).isGreaterThanOrEqualTo(4);
    for (JsonNode c : vectors.path("cases")) {
      List<Payout> payouts = new ArrayList<>();
      for (JsonNode p : c.path("payouts")) {
        payouts.add(new Payout(p.path("account").asText(), p.path("amount").asLong()));
      }
      assertThat(HEX.formatHex(Merkle.root(payouts))).as(c.path("name").asText()).isEqualTo(c.path("root").asText());
    }
  }
}
