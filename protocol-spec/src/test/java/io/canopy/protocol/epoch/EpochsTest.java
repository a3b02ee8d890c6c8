package io.canopy.protocol.epoch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.protocol.compute.FlatJson;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Epochs, beacons and draws against spec/epochs.md and its vector (made with Python's hashlib). */
class EpochsTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void beaconsAndDrawsMatchTheVector() {
    Map<String, String> v = FlatJson.resource("/vectors/epoch/draws.json");
    assertThat(Beacon.genesis(v.get("networkId")).toString()).isEqualTo(v.get("genesisBeacon"));
    Beacon b1 = Beacon.afterSettlement(HEX.parseHex(v.get("settlementHash")));
    assertThat(b1.toString()).isEqualTo(v.get("beacon1"));
    byte[] seed = Draw.seed(v.get("seed.domain"), b1, HEX.parseHex(v.get("seed.part0")), HEX.parseHex(v.get("seed.part1")));
    assertThat(HEX.formatHex(seed)).isEqualTo(v.get("seed.value"));
    int words = 0;
    int uniforms = 0;
    int chances = 0;
    boolean sawRejection = false;
    for (Map.Entry<String, String> e : v.entrySet()) {
      String[] key = e.getKey().split("\\.");
      if (key[0].equals("word")) {
        assertThat(Long.toUnsignedString(Draw.word(seed, Integer.parseInt(key[1]), Integer.parseInt(key[2])))).isEqualTo(e.getValue());
        words++;
      } else if (key[0].equals("uniform") && key[2].equals("value")) {
        long n = Long.parseUnsignedLong(v.get("uniform." + key[1] + ".n"));
        assertThat(Long.toUnsignedString(Draw.uniform(seed, Integer.parseInt(key[1]), n))).as(e.getKey()).isEqualTo(e.getValue());
        sawRejection |= !v.get("uniform." + key[1] + ".attempts").equals("1");
        uniforms++;
      } else if (key[0].equals("chance") && key[2].equals("hit")) {
        long ppm = Long.parseLong(v.get("chance." + key[1] + ".ppm"));
        assertThat(Draw.chance(seed, Integer.parseInt(key[1]), ppm)).as(e.getKey()).isEqualTo(Boolean.parseBoolean(e.getValue()));
        chances++;
      }
    }
    assertThat(words).isEqualTo(4);
    assertThat(uniforms).isEqualTo(8);
    assertThat(chances).isEqualTo(5);
    assertThat(sawRejection).as("the vector exercises a rejected word").isTrue();
  }

  @Test
  void drawsAreUniform() {
    byte[] seed = Draw.seed("test", Beacon.genesis("x"));
    int[] counts = new int[6];
    for (int j = 0; j < 60_000; j++) {
      counts[(int) Draw.uniform(seed, j, 6)]++;
    }
    for (int c : counts) { // expected 10000 each, standard deviation ~91
      assertThat(c).isBetween(9_500, 10_500);
    }
    int hits = 0;
    for (int j = 0; j < 100_000; j++) {
      hits += Draw.chance(seed, j, 100_000) ? 1 : 0;
    }
    assertThat(hits).isBetween(9_000, 11_000);
  }

  @Test
  void epochsAreHalfOpenIntervalsFromGenesis() {
    EpochClock clock = new EpochClock(1_000, 100);
    assertThat(clock.epochAt(999)).isEqualTo(-1);
    assertThat(clock.epochAt(1_000)).isZero();
    assertThat(clock.epochAt(1_099)).isZero();
    assertThat(clock.epochAt(1_100)).isEqualTo(1);
    assertThat(clock.startMillis(3)).isEqualTo(1_300);
    assertThat(clock.endMillis(3)).isEqualTo(1_400);
    assertThat(clock.isClosed(3, 1_399)).isFalse();
    assertThat(clock.isClosed(3, 1_400)).isTrue();
    assertThatThrownBy(() -> clock.startMillis(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Beacon.afterSettlement(new byte[31])).isInstanceOf(IllegalArgumentException.class);
  }
}
