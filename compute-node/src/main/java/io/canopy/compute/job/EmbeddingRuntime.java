package io.canopy.compute.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.compute.embed.EmbeddingResult;
import io.canopy.compute.embed.TextEmbedder;
import io.canopy.multiformats.Cid;
import io.canopy.protocol.compute.ComputeMessage.Code;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves an {@link TextEmbedder} as an {@link Task#EMBEDDING} model (spec/compute.md §3.1).
 * Input: JSON {@code {"input": "text"}} or {@code {"input": ["text", …]}}. Output: JSON
 * {@code {"data":[{"index":0,"embedding":[…]},…],"usage":{"prompt_tokens":n,"total_tokens":n}}},
 * written with no spaces and every float as {@link Float#toString}, so the same vectors always
 * give the same bytes (and the same output hash).
 */
public final class EmbeddingRuntime implements InferenceRuntime {
  /** Most inputs in one job (OpenAI's limit for one embeddings request). */
  public static final int MAX_INPUTS = 2048;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final TextEmbedder embedder;
  private final ModelOffer offer;

  public EmbeddingRuntime(Cid model, String name, TextEmbedder embedder, long pricePer1k) {
    this.embedder = embedder;
    this.offer = new ModelOffer(model, name, Task.EMBEDDING, embedder.maxTokens(), pricePer1k, 0);
  }

  @Override
  public ModelOffer offer() {
    return offer;
  }

  @Override
  public Usage run(JobRequest request, ChunkSink out, CancellationSignal cancel) {
    List<String> inputs = parseInputs(request.input());
    cancel.throwIfCancelled();
    EmbeddingResult result = embedder.embedWithUsage(inputs);
    for (int i = 0; i < inputs.size(); i++) {
      if (result.truncated()[i]) {
        throw new JobRejectedException(Code.TOO_LONG,
            "input " + i + " is longer than the model's " + embedder.maxTokens() + " tokens");
      }
    }
    cancel.throwIfCancelled();
    out.write(format(result).getBytes(StandardCharsets.UTF_8));
    return new Usage(result.totalTokens(), 0);
  }

  /** The texts of {@code {"input": "…" | ["…", …]}}; {@code BAD_REQUEST} for anything else. */
  static List<String> parseInputs(byte[] input) {
    JsonNode root;
    try {
      root = JSON.readTree(input);
    } catch (JsonProcessingException e) {
      throw new JobRejectedException(Code.BAD_REQUEST, "input is not JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new JobRejectedException(Code.BAD_REQUEST, "input is not JSON: " + e.getMessage());
    }
    JsonNode field = root == null ? null : root.get("input");
    List<String> texts = new ArrayList<>();
    if (field != null && field.isTextual()) {
      texts.add(field.textValue());
    } else if (field != null && field.isArray() && !field.isEmpty() && field.size() <= MAX_INPUTS) {
      for (JsonNode n : field) {
        if (!n.isTextual()) {
          throw new JobRejectedException(Code.BAD_REQUEST, "every input must be a string");
        }
        texts.add(n.textValue());
      }
    } else {
      throw new JobRejectedException(Code.BAD_REQUEST,
          "input must be {\"input\": \"text\"} or {\"input\": [\"text\", ...]} with 1.." + MAX_INPUTS + " strings");
    }
    return texts;
  }

  static String format(EmbeddingResult result) {
    return format(result.vectors(), result.totalTokens());
  }

  /** The output format above for {@code vectors}, whose inputs cost {@code tokens} in all. */
  static String format(float[][] vectors, long tokens) {
    StringBuilder sb = new StringBuilder(vectors.length * vectors[0].length * 12 + 64);
    sb.append("{\"data\":[");
    for (int i = 0; i < vectors.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append("{\"index\":").append(i).append(",\"embedding\":[");
      float[] v = vectors[i];
      for (int j = 0; j < v.length; j++) {
        if (!Float.isFinite(v[j])) {
          throw new IllegalStateException("embedding " + i + " has a non-finite component");
        }
        if (j > 0) {
          sb.append(',');
        }
        sb.append(Float.toString(v[j]));
      }
      sb.append("]}");
    }
    sb.append("],\"usage\":{\"prompt_tokens\":").append(tokens).append(",\"total_tokens\":").append(tokens).append("}}");
    return sb.toString();
  }
}
