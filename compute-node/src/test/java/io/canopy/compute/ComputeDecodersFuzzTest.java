package io.canopy.compute;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canopy.compute.job.JobRejectedException;
import io.canopy.compute.job.ReceiptLog;
import io.canopy.compute.llm.Gguf;
import io.canopy.compute.llm.GgufFormatException;
import io.canopy.compute.llm.GgufValueType;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.compute.llm.SpmTokenizer;
import io.canopy.protocol.compute.ComputeCodec;
import io.canopy.protocol.compute.ComputeMessage;
import io.canopy.protocol.compute.ComputeMessageException;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of what a compute node (and the gateway's job log) decodes: protocol
 * messages from peers, job inputs from clients, receipt logs and GGUF model files from disk (model
 * files also arrive from the network). One {@code @FuzzTest} (Jazzer fuzzes one per JVM); the first
 * int picks the branch, the rest (at most {@value #MAX_INPUT} bytes) feeds it. Each branch catches
 * only the documented refusal:
 *
 * <ul>
 *   <li>{@code COMPUTE_MESSAGE}, {@code JOB_REQUEST}, {@code PARAMS}, {@code RECEIPT}, {@code
 *       COUNTERSIGNED_RECEIPT}, {@code RECEIPT_ENTRY}: {@link ComputeCodec#decode}, {@link
 *       JobRequest#decode}, {@link Params#decode}, {@link Receipt#decode}, {@link
 *       CountersignedReceipt#decode}, {@link ReceiptLog.Entry#decode}; refusal {@link
 *       ComputeMessageException}; what decodes has a stable encoding (encode, decode, encode gives
 *       the same bytes).
 *   <li>{@code RECEIPT_LOG}: {@link ReceiptLog#read} of a temp file of records framed with valid
 *       CRCs around fuzzed bodies, plus a fuzzed tail; refusal {@link IOException} (a record whose
 *       CRC holds but does not decode).
 *   <li>{@code JOB_INPUT}: the JSON job inputs of the embedding and chat runtimes ({@code
 *       EmbeddingRuntime.parseInputs}, {@code LlamaRuntime.messages}, package-private, called
 *       reflectively); refusal {@link JobRejectedException}.
 *   <li>{@code GGUF_BYTES}: {@link Gguf#open} of a temp file holding the input, then the
 *       metadata's tokenizer ({@link SpmTokenizer#fromGguf}); refusal {@link GgufFormatException}.
 *   <li>{@code GGUF_MODEL}: a well-formed little llama GGUF whose metadata values, array lengths,
 *       tensor dimensions and offsets the fuzzer may change, loaded with {@link LlamaModel#load};
 *       refusal {@link GgufFormatException}. Declared counts and sizes must be checked against the
 *       file before anything is allocated by them.
 * </ul>
 */
class ComputeDecodersFuzzTest {
  static final int MAX_INPUT = 64 * 1024;

  enum Branch {
    COMPUTE_MESSAGE, JOB_REQUEST, PARAMS, RECEIPT, COUNTERSIGNED_RECEIPT, RECEIPT_ENTRY, RECEIPT_LOG, JOB_INPUT, GGUF_BYTES, GGUF_MODEL
  }

  private static Path scratch;
  private static final Method PARSE_INPUTS = packagePrivate("io.canopy.compute.job.EmbeddingRuntime", "parseInputs");
  private static final Method CHAT_MESSAGES = packagePrivate("io.canopy.compute.job.LlamaRuntime", "messages");

  @FuzzTest
  void decode(FuzzedDataProvider data) throws IOException {
    Branch branch = Branch.values()[data.consumeInt(0, Branch.values().length - 1)];
    switch (branch) {
      case COMPUTE_MESSAGE -> stable(data.consumeRemainingAsBytes(), ComputeCodec::decode, ComputeCodec::encode);
      case JOB_REQUEST -> stable(data.consumeRemainingAsBytes(), JobRequest::decode, JobRequest::encode);
      case PARAMS -> stable(data.consumeRemainingAsBytes(), Params::decode, Params::encode);
      case RECEIPT -> stable(data.consumeRemainingAsBytes(), Receipt::decode, Receipt::encode);
      case COUNTERSIGNED_RECEIPT -> stable(data.consumeRemainingAsBytes(), CountersignedReceipt::decode, CountersignedReceipt::encode);
      case RECEIPT_ENTRY -> stable(data.consumeRemainingAsBytes(), ReceiptLog.Entry::decode, ReceiptLog.Entry::encode);
      case RECEIPT_LOG -> receiptLog(data);
      case JOB_INPUT -> jobInput(data.consumeBoolean(), data.consumeRemainingAsBytes());
      case GGUF_BYTES -> ggufBytes(data.consumeRemainingAsBytes());
      case GGUF_MODEL -> ggufModel(data);
      default -> throw new AssertionError(branch);
    }
  }

  /** Decodes; what decodes must encode to bytes that decode and encode to the same bytes. */
  private static <T> void stable(byte[] bytes, Function<byte[], T> decode, Function<T, byte[]> encode) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    T value;
    try {
      value = decode.apply(bytes);
    } catch (ComputeMessageException e) {
      return;
    }
    byte[] encoded = encode.apply(value);
    byte[] again;
    try {
      again = encode.apply(decode.apply(encoded));
    } catch (ComputeMessageException e) {
      throw new AssertionError("a re-encoded " + value.getClass().getSimpleName() + " is refused: " + e.getMessage(), e);
    }
    if (!Arrays.equals(encoded, again)) {
      throw new AssertionError("encoding of " + value + " is not stable: " + HexFormat.of().formatHex(encoded) + " then "
          + HexFormat.of().formatHex(again));
    }
  }

  private static void receiptLog(FuzzedDataProvider data) throws IOException {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    int records = data.consumeInt(0, 3);
    for (int i = 0; i < records; i++) {
      byte[] body = data.consumeBytes(16 * 1024);
      ByteBuffer header = ByteBuffer.allocate(8);
      CRC32C crc = new CRC32C();
      crc.update(body);
      header.putInt(data.consumeBoolean() ? body.length : data.consumeInt()).putInt((int) crc.getValue());
      file.writeBytes(header.array());
      file.writeBytes(body);
    }
    file.writeBytes(data.consumeRemainingAsBytes());
    if (file.size() > MAX_INPUT) {
      return;
    }
    Path log = scratchFile("receipts.log", file.toByteArray());
    try {
      for (CountersignedReceipt r : ReceiptLog.read(log)) {
        if (r == null) {
          throw new AssertionError("the receipt log returned a null receipt");
        }
      }
    } catch (IOException e) {
      // a record whose CRC holds but whose body does not decode: reported, not skipped
    }
  }

  private static void jobInput(boolean chat, byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    try {
      Object parsed = (chat ? CHAT_MESSAGES : PARSE_INPUTS).invoke(null, (Object) bytes);
      if (((List<?>) parsed).isEmpty()) {
        throw new AssertionError("a job input parsed to no texts or messages");
      }
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof JobRejectedException) {
        return;
      }
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new AssertionError(e.getCause());
    } catch (IllegalAccessException e) {
      throw new AssertionError(e);
    }
  }

  private static void ggufBytes(byte[] bytes) throws IOException {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    Path model = scratchFile("model.gguf", bytes);
    try (Gguf gguf = Gguf.open(model)) {
      gguf.tensors().values().forEach(t -> {
        if (t.absoluteOffset() < gguf.dataOffset() || t.absoluteOffset() + t.byteSize() > gguf.fileSize()) {
          throw new AssertionError("tensor " + t.name() + " lies outside the file");
        }
      });
      SpmTokenizer.fromGguf(gguf);
    } catch (GgufFormatException e) {
      // refused with a reason
    }
  }

  /** Metadata keys of a llama model, each one the fuzzer may set to another value or type. */
  private static final List<String> LLAMA_KEYS = List.of("llama.context_length", "llama.embedding_length", "llama.block_count",
      "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv", "llama.attention.key_length",
      "llama.rope.dimension_count", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "general.alignment");

  private static void ggufModel(FuzzedDataProvider data) throws IOException {
    int dim = 4;
    int ff = 8;
    int vocab = 4;
    GgufBuilder b = new GgufBuilder();
    b.string("general.architecture", "llama");
    b.string("tokenizer.ggml.model", "llama");
    b.strings("tokenizer.ggml.tokens", List.of("<unk>", "<s>", "</s>", "<0x41>"), data.consumeBoolean() ? 4 : data.consumeLong());
    b.u32("llama.context_length", 16);
    b.u32("llama.embedding_length", dim);
    b.u32("llama.block_count", 1);
    b.u32("llama.feed_forward_length", ff);
    b.u32("llama.attention.head_count", 2);
    b.u32("llama.attention.head_count_kv", 1);
    // The fuzzer's changes: any key above to any integer, then tensors with fuzzed dimensions/offsets.
    int changes = data.consumeInt(0, 3);
    for (int i = 0; i < changes; i++) {
      String key = LLAMA_KEYS.get(data.consumeInt(0, LLAMA_KEYS.size() - 1));
      if (data.consumeBoolean()) {
        b.u32(key, data.consumeInt());
      } else {
        b.u64(key, data.consumeLong());
      }
    }
    b.tensor("token_embd.weight", new long[] {dim, vocab});
    b.tensor("output_norm.weight", new long[] {dim});
    b.tensor("blk.0.attn_norm.weight", new long[] {dim});
    b.tensor("blk.0.attn_q.weight", new long[] {dim, dim});
    b.tensor("blk.0.attn_k.weight", new long[] {dim, dim / 2});
    b.tensor("blk.0.attn_v.weight", new long[] {dim, dim / 2});
    b.tensor("blk.0.attn_output.weight", new long[] {dim, dim});
    b.tensor("blk.0.ffn_norm.weight", new long[] {dim});
    b.tensor("blk.0.ffn_gate.weight", new long[] {dim, ff});
    b.tensor("blk.0.ffn_up.weight", new long[] {dim, ff});
    b.tensor("blk.0.ffn_down.weight", new long[] {ff, dim});
    int tensorChanges = data.consumeInt(0, 2);
    for (int i = 0; i < tensorChanges; i++) {
      b.changeTensor(data.consumeInt(0, b.tensorCount() - 1), data.consumeInt(0, 2), data.consumeLong());
    }
    byte[] bytes = b.bytes(data.consumeInt(0, 64));
    if (bytes.length > MAX_INPUT) {
      return;
    }
    Path model = scratchFile("llama.gguf", bytes);
    try (LlamaModel loaded = LlamaModel.load(model, 1)) {
      if (loaded.tokenizer().vocabularySize() != 4) {
        throw new AssertionError("a model loaded with " + loaded.tokenizer().vocabularySize() + " tokens");
      }
    } catch (GgufFormatException e) {
      // refused with a reason
    }
  }

  /** GGUF v3 writer for the model branch: metadata (a key set again is replaced), tensor infos, zeroed tensor data. */
  private static final class GgufBuilder {
    private final Map<String, byte[]> kv = new LinkedHashMap<>(); // key -> value type and value
    private final List<Object[]> tensors = new ArrayList<>(); // name, dims, offset

    void string(String key, String value) {
      ByteArrayOutputStream v = value(GgufValueType.STRING);
      str(v, value);
      kv.put(key, v.toByteArray());
    }

    void strings(String key, List<String> values, long declaredCount) {
      ByteArrayOutputStream v = value(GgufValueType.ARRAY);
      le(v, GgufValueType.STRING.ordinal(), 4);
      le(v, declaredCount, 8);
      values.forEach(s -> str(v, s));
      kv.put(key, v.toByteArray());
    }

    void u32(String key, long value) {
      ByteArrayOutputStream v = value(GgufValueType.UINT32);
      le(v, value, 4);
      kv.put(key, v.toByteArray());
    }

    void u64(String key, long value) {
      ByteArrayOutputStream v = value(GgufValueType.UINT64);
      le(v, value, 8);
      kv.put(key, v.toByteArray());
    }

    private static ByteArrayOutputStream value(GgufValueType type) {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      le(v, type.ordinal(), 4); // the enum is declared in wire-id order
      return v;
    }

    void tensor(String name, long[] dims) {
      long offset = 0;
      for (Object[] t : tensors) {
        offset += align(bytes((long[]) t[1]));
      }
      tensors.add(new Object[] {name, dims, offset});
    }

    int tensorCount() {
      return tensors.size();
    }

    /** what: 0 a dimension, 1 the dimension count (as a new dims array), 2 the offset. */
    void changeTensor(int index, int what, long value) {
      Object[] t = tensors.get(index);
      long[] dims = (long[]) t[1];
      switch (what) {
        case 0 -> {
          if (dims.length == 0) {
            return; // an earlier change left no dimensions to change
          }
          long[] d = dims.clone();
          d[(int) Math.floorMod(value, d.length)] = value;
          t[1] = d;
        }
        case 1 -> t[1] = new long[(int) Math.floorMod(value, 6)];
        default -> t[2] = value;
      }
    }

    byte[] bytes(int tailBytes) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      le(out, Gguf.MAGIC, 4);
      le(out, 3, 4);
      le(out, tensors.size(), 8);
      le(out, kv.size(), 8);
      kv.forEach((key, value) -> {
        str(out, key);
        out.writeBytes(value);
      });
      long data = 0;
      for (Object[] t : tensors) {
        str(out, (String) t[0]);
        long[] dims = (long[]) t[1];
        le(out, dims.length, 4);
        for (long d : dims) {
          le(out, d, 8);
        }
        le(out, 0, 4); // F32
        le(out, (Long) t[2], 8);
        data += align(bytes(dims));
      }
      while (out.size() % Gguf.DEFAULT_ALIGNMENT != 0) {
        out.write(0);
      }
      if (data < 0 || data > MAX_INPUT) {
        return new byte[MAX_INPUT + 1]; // too large to write: skipped by the caller
      }
      out.writeBytes(new byte[(int) data + tailBytes]);
      return out.toByteArray();
    }

    private static long bytes(long[] dims) {
      long n = 4;
      for (long d : dims) {
        if (d < 0 || d > MAX_INPUT) {
          return 0; // a fuzzed dimension: no data written for it
        }
        n *= d;
        if (n > MAX_INPUT) {
          return 0;
        }
      }
      return n;
    }

    private static long align(long n) {
      return (n + Gguf.DEFAULT_ALIGNMENT - 1) / Gguf.DEFAULT_ALIGNMENT * Gguf.DEFAULT_ALIGNMENT;
    }

    private static void str(ByteArrayOutputStream o, String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      le(o, b.length, 8);
      o.writeBytes(b);
    }

    private static void le(ByteArrayOutputStream o, long v, int n) {
      for (int i = 0; i < n; i++) {
        o.write((int) (v >>> (8 * i)));
      }
    }
  }

  private static Path scratchFile(String name, byte[] bytes) throws IOException {
    if (scratch == null) {
      scratch = Files.createTempDirectory("compute-fuzz");
    }
    Path file = scratch.resolve(name);
    Files.write(file, bytes);
    return file;
  }

  @AfterAll
  static void removeScratch() throws IOException {
    if (scratch != null) {
      try (var files = Files.list(scratch)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(scratch);
      scratch = null;
    }
  }

  private static Method packagePrivate(String className, String name) {
    try {
      Method m = Class.forName(className).getDeclaredMethod(name, byte[].class);
      m.setAccessible(true);
      return m;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("the job input parser " + className + "." + name + " moved", e);
    }
  }
}
