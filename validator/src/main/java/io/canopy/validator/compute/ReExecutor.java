package io.canopy.validator.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.compute.job.CancellationSignal;
import io.canopy.compute.job.InferenceRuntime;
import io.canopy.multiformats.Cid;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Re-runs jobs on this validator's own bit-exact runtimes (spec/compute-verification.md §6.3), one
 * per (model CID, task), and compares the result with what a receipt claims: exact receipts by
 * output hash, non-exact embedding receipts by cosine similarity per vector.
 */
public final class ReExecutor {
  /** Per-vector cosine similarity at or above which two embeddings of a non-exact receipt agree (§6.3). */
  public static final double EMBEDDING_MIN_COSINE = 0.9999;
  /** Most output one re-run may produce (the caller's default output bound, spec/compute.md §3.6). */
  public static final int DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Key(Cid model, Task task) {}

  private final Map<Key, InferenceRuntime> runtimes = new HashMap<>();
  private final int maxOutput;

  /**
   * @param runtimes the reference runtimes; each must be {@link InferenceRuntime#bitExact()}, one per (model, task)
   */
  public ReExecutor(List<? extends InferenceRuntime> runtimes, int maxOutput) {
    if (maxOutput <= 0) {
      throw new IllegalArgumentException("maxOutput must be positive");
    }
    this.maxOutput = maxOutput;
    for (InferenceRuntime runtime : runtimes) {
      if (!runtime.bitExact()) {
        throw new IllegalArgumentException("a reference runtime must be bit-exact: " + runtime.offer().name());
      }
      Key key = new Key(runtime.offer().model(), runtime.offer().task());
      if (this.runtimes.putIfAbsent(key, runtime) != null) {
        throw new IllegalArgumentException("two runtimes for " + key.model() + " " + key.task());
      }
    }
  }

  public ReExecutor(List<? extends InferenceRuntime> runtimes) {
    this(runtimes, DEFAULT_MAX_OUTPUT);
  }

  /** Whether this validator can re-run jobs of {@code model} for {@code task}. */
  public boolean serves(Cid model, Task task) {
    return runtimes.containsKey(new Key(model, task));
  }

  /** One re-run: the output bytes, their SHA-256, and the usage the runtime counted. */
  public record ReRun(byte[] output, byte[] outputHash, Usage usage) {}

  /**
   * Runs {@code job} on the reference runtime for its model and task.
   *
   * @throws VerificationException {@code NO_RUNTIME} without one, {@code RERUN_FAILED} if it refuses or fails the job
   */
  public ReRun rerun(JobRequest job) {
    InferenceRuntime runtime = runtimes.get(new Key(job.model(), job.task()));
    if (runtime == null) {
      throw new VerificationException(VerificationFailure.NO_RUNTIME, "no reference runtime for " + job.model() + " " + job.task());
    }
    MessageDigest sha = io.canopy.protocol.compute.Receipt.newSha256();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    CancellationSignal cancel = new CancellationSignal();
    Usage usage;
    try {
      usage = runtime.run(job, bytes -> {
        if (output.size() + (long) bytes.length > maxOutput) {
          cancel.cancel("output exceeds " + maxOutput + " bytes");
          cancel.throwIfCancelled();
        }
        sha.update(bytes);
        output.writeBytes(bytes);
      }, cancel);
    } catch (VerificationException e) {
      throw e;
    } catch (Exception e) {
      throw new VerificationException(VerificationFailure.RERUN_FAILED, "re-run of " + job.jobId() + " failed: " + e.getMessage(), e);
    }
    return new ReRun(output.toByteArray(), sha.digest(), usage);
  }

  /**
   * Whether {@code rerun} agrees with the record (§6.3): for an exact receipt, the same output
   * hash; for a non-exact embedding receipt, every vector within {@link #EMBEDDING_MIN_COSINE} of
   * the kept output's.
   */
  public static boolean agrees(JobRecord record, ReRun rerun) {
    if (record.receipt().exact()) {
      return MessageDigest.isEqual(rerun.outputHash(), record.receipt().outputHash());
    }
    if (record.job().task() != Task.EMBEDDING || record.output() == null) {
      throw new VerificationException(VerificationFailure.NOT_CHECKABLE, record + " cannot be checked by a re-run");
    }
    return minCosine(record.output(), rerun.output()) >= EMBEDDING_MIN_COSINE;
  }

  /**
   * The smallest cosine similarity between matching vectors of two embedding outputs
   * (spec/compute.md §3.1 format); {@code -Infinity} if either does not parse, their vector counts
   * or dimensions differ, or a vector is zero or not finite.
   */
  public static double minCosine(byte[] outputA, byte[] outputB) {
    Optional<float[][]> a = vectors(outputA);
    Optional<float[][]> b = vectors(outputB);
    if (a.isEmpty() || b.isEmpty() || a.get().length != b.get().length || a.get().length == 0) {
      return Double.NEGATIVE_INFINITY;
    }
    double min = Double.POSITIVE_INFINITY;
    for (int i = 0; i < a.get().length; i++) {
      float[] x = a.get()[i];
      float[] y = b.get()[i];
      if (x.length != y.length || x.length == 0) {
        return Double.NEGATIVE_INFINITY;
      }
      double dot = 0;
      double nx = 0;
      double ny = 0;
      for (int j = 0; j < x.length; j++) {
        dot += (double) x[j] * y[j];
        nx += (double) x[j] * x[j];
        ny += (double) y[j] * y[j];
      }
      double cos = dot / Math.sqrt(nx * ny);
      if (!Double.isFinite(cos)) {
        return Double.NEGATIVE_INFINITY;
      }
      min = Math.min(min, cos);
    }
    return min;
  }

  /** The vectors of {@code {"data":[{"index":i,"embedding":[…]},…]}}, ordered by index. */
  static Optional<float[][]> vectors(byte[] output) {
    JsonNode data;
    try {
      JsonNode root = JSON.readTree(output);
      data = root == null ? null : root.get("data");
    } catch (IOException e) {
      return Optional.empty();
    }
    if (data == null || !data.isArray()) {
      return Optional.empty();
    }
    float[][] out = new float[data.size()][];
    for (JsonNode item : data) {
      JsonNode index = item.get("index");
      JsonNode embedding = item.get("embedding");
      if (index == null || !index.canConvertToInt() || embedding == null || !embedding.isArray()) {
        return Optional.empty();
      }
      int i = index.intValue();
      if (i < 0 || i >= out.length || out[i] != null) {
        return Optional.empty();
      }
      float[] v = new float[embedding.size()];
      for (int j = 0; j < v.length; j++) {
        JsonNode f = embedding.get(j);
        if (!f.isNumber()) {
          return Optional.empty();
        }
        v[j] = f.floatValue();
      }
      out[i] = v;
    }
    return Optional.of(out);
  }
}
