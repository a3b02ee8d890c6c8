package io.canopy.protocol.compute;

import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sampling parameters of a job (spec/compute.md §3.1). With the same model, input, params and
 * seed the built-in engine produces the same bytes, which is what lets a validator re-run a job.
 * {@code maxTokens == 0} means the runtime's default; embeddings ignore every field.
 */
public record Params(int maxTokens, float temperature, float topP, int topK, long seed, List<String> stop) {
  public static final int MAX_TOKENS_LIMIT = 1 << 20;
  public static final int MAX_TOP_K = 1 << 20;
  public static final int MAX_STOP_SEQUENCES = 8;
  public static final int MAX_STOP_LENGTH = 64;
  public static final float MAX_TEMPERATURE = 2.0f;
  /** Greedy decoding, runtime's default length, no stop sequences. */
  public static final Params DEFAULT = new Params(0, 0f, 1f, 0, 0, List.of());

  public Params {
    stop = List.copyOf(Objects.requireNonNull(stop, "stop"));
    if (maxTokens < 0 || maxTokens > MAX_TOKENS_LIMIT) {
      throw new ComputeMessageException("max_tokens must be 0.." + MAX_TOKENS_LIMIT + ", got " + maxTokens);
    }
    if (!(temperature >= 0f && temperature <= MAX_TEMPERATURE)) {
      throw new ComputeMessageException("temperature must be 0.." + MAX_TEMPERATURE + ", got " + temperature);
    }
    if (!(topP > 0f && topP <= 1f)) {
      throw new ComputeMessageException("top_p must be in (0, 1], got " + topP);
    }
    if (topK < 0 || topK > MAX_TOP_K) {
      throw new ComputeMessageException("top_k must be 0.." + MAX_TOP_K + ", got " + topK);
    }
    if (stop.size() > MAX_STOP_SEQUENCES) {
      throw new ComputeMessageException("at most " + MAX_STOP_SEQUENCES + " stop sequences, got " + stop.size());
    }
    for (String s : stop) {
      if (s.isEmpty() || s.length() > MAX_STOP_LENGTH) {
        throw new ComputeMessageException("a stop sequence must be 1.." + MAX_STOP_LENGTH + " characters");
      }
    }
  }

  public Params withSeed(long newSeed) {
    return new Params(maxTokens, temperature, topP, topK, newSeed, stop);
  }

  /** Every field written, in field order: the bytes hashed into a receipt's {@code params_hash}. */
  public byte[] encode() {
    ProtoWriter w = new ProtoWriter()
        .varint(1, maxTokens)
        .fixed32(2, Float.floatToIntBits(temperature))
        .fixed32(3, Float.floatToIntBits(topP))
        .varint(4, topK)
        .varint(5, seed);
    stop.forEach(s -> w.string(6, s));
    return w.toByteArray();
  }

  public static Params decode(byte[] bytes) {
    long maxTokens = 0;
    float temperature = DEFAULT.temperature;
    float topP = DEFAULT.topP;
    long topK = 0;
    long seed = 0;
    List<String> stop = new ArrayList<>();
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> maxTokens = r.varint();
          case 2 -> temperature = Float.intBitsToFloat(r.fixed32());
          case 3 -> topP = Float.intBitsToFloat(r.fixed32());
          case 4 -> topK = r.varint();
          case 5 -> seed = r.varint();
          case 6 -> {
            if (stop.size() == MAX_STOP_SEQUENCES) {
              throw new ComputeMessageException("at most " + MAX_STOP_SEQUENCES + " stop sequences");
            }
            stop.add(r.string());
          }
          default -> r.skip();
        }
      }
      return new Params(narrow(maxTokens, "max_tokens"), temperature, topP, narrow(topK, "top_k"), seed, stop);
    } catch (RuntimeException e) {
      throw ComputeMessageException.malformed("params", e);
    }
  }

  static int narrow(long value, String name) {
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw new ComputeMessageException(name + " out of range: " + Long.toUnsignedString(value));
    }
    return (int) value;
  }
}
