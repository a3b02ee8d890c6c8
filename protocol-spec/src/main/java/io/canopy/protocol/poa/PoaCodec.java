package io.canopy.protocol.poa;

/** Encodes and decodes {@link PoaMessage}s. */
public final class PoaCodec {
  private PoaCodec() {}

  public static byte[] encode(PoaMessage message) {
    return PoaMessage.encode(message);
  }

  /**
   * Decodes one message; a proof is bounded by {@link Proof#maxSize} and {@link Proof#maxBlocks}
   * of {@code maxDraws} (the draws of the challenge it answers). {@link PoaMessageException} with
   * the reason if {@code bytes} is not a valid message.
   */
  public static PoaMessage decode(byte[] bytes, int maxDraws) {
    return PoaMessage.decode(bytes, maxDraws);
  }

  /** The largest encoded message answering a challenge of {@code draws} offsets. */
  public static int maxReplySize(int draws) {
    return Proof.maxSize(draws) + 16;
  }
}
