package io.canopy.p2p.identify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.protobuf.ProtoWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdentifyMessageTest {
  @Test
  void roundTripsAndKeepsAbsentFieldsAbsent() {
    IdentifyMessage m = new IdentifyMessage(
        "ipfs/0.1.0", "canopy/0.1.0", new byte[] {8, 1, 18, 0}, List.of(new byte[] {4, 127, 0, 0, 1, 6, 15, (byte) 0xa1}),
        null, List.of("/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"), null);
    IdentifyMessage back = IdentifyMessage.decode(m.encode());
    assertThat(back.agentVersion()).isEqualTo("canopy/0.1.0");
    assertThat(back.protocols()).containsExactly("/ipfs/id/1.0.0", "/ipfs/ping/1.0.0");
    assertThat(back.listenAddrs()).hasSize(1);
    assertThat(back.observedAddr()).isNull();
    assertThat(back.encode()).isEqualTo(m.encode());
  }

  @Test
  void refusesOversizedMessagesAndLists() {
    assertThatThrownBy(() -> IdentifyMessage.decode(new byte[IdentifyMessage.MAX_SIZE + 1])).hasMessageContaining("exceeds");
    ProtoWriter w = new ProtoWriter();
    for (int i = 0; i <= IdentifyMessage.MAX_PROTOCOLS; i++) {
      w.string(3, "/p");
    }
    assertThatThrownBy(() -> IdentifyMessage.decode(w.toByteArray())).hasMessageContaining("more than");
  }

  @Test
  void skipsFieldsItDoesNotKnow() {
    byte[] bytes = new ProtoWriter().string(6, "go-libp2p").varint(99, 1).bytes(7, new byte[3]).toByteArray();
    assertThat(IdentifyMessage.decode(bytes).agentVersion()).isEqualTo("go-libp2p");
  }
}
