package io.canopy.protocol.poa;

/** Encodes and decodes {@link PoaMessage}s. */
public final class PoaCodec {
  /**
   * The largest encoded message answering a {@link PoaMessage.DealsRequest}: a page of at most
   * {@link PoaMessage.Deals#MAX_BYTES} bytes in its envelope (a tag and a length), with slack.
   */
  public static final int MAX_DEALS_REPLY_SIZE = PoaMessage.Deals.MAX_BYTES + 16;

  private PoaCodec() {}

  public static byte[] encode(PoaMessage message) {
    return PoaMessage.encode(message);
  }

  /**
   * Decodes one message; a proof is bounded by {@link Proof#maxSize} and {@link Proof#maxBlocks}
   * of {@code maxDraws} (the draws of the challenge it answers), a page of deals by {@link
   * PoaMessage.Deals#MAX_BYTES} and {@link PoaMessage.Deals#MAX_DEALS}. {@link
   * PoaMessageException} with the reason if {@code bytes} is not a valid message.
   */
  public static PoaMessage decode(byte[] bytes, int maxDraws) {
    return PoaMessage.decode(bytes, maxDraws);
  }

  /** The largest encoded message answering a challenge of {@code draws} offsets. */
  public static int maxReplySize(int draws) {
    return Proof.maxSize(draws) + 16;
  }
}
