package io.canopy.protocol.compute;

import io.canopy.multiformats.Cid;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.Objects;

/**
 * One inference job (spec/compute.md §3.1): run model {@code model} on {@code input} (whose
 * format {@code task} gives) with {@code params}. {@code jobId} is the caller's, unique per caller;
 * the receipt repeats it.
 */
public record JobRequest(String jobId, Cid model, Task task, byte[] input, Params params) {
  public static final int MAX_JOB_ID_LENGTH = 128;
  /** Largest input: a long chat context or a batch of embedding inputs fits. */
  public static final int MAX_INPUT_SIZE = 512 * 1024;

  public JobRequest {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(params, "params");
    if (jobId.isEmpty() || jobId.length() > MAX_JOB_ID_LENGTH) {
      throw new ComputeMessageException("job id must be 1.." + MAX_JOB_ID_LENGTH + " characters");
    }
    if (input.length > MAX_INPUT_SIZE) {
      throw new ComputeMessageException("input of " + input.length + " bytes exceeds " + MAX_INPUT_SIZE);
    }
  }

  public byte[] encode() {
    return new ProtoWriter(input.length + 128)
        .string(1, jobId)
        .bytes(2, model.toBytes())
        .varint(3, task.wire)
        .bytes(4, input)
        .bytes(5, params.encode())
        .toByteArray();
  }

  public static JobRequest decode(byte[] bytes) {
    String jobId = null;
    Cid model = null;
    Task task = null;
    byte[] input = null;
    Params params = Params.DEFAULT;
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> jobId = r.string();
          case 2 -> model = Cid.fromBytes(r.bytes());
          case 3 -> task = Task.of(r.varint());
          case 4 -> input = r.bytes();
          case 5 -> params = Params.decode(r.bytes());
          default -> r.skip();
        }
      }
      if (jobId == null || model == null || task == null || input == null) {
        throw new ComputeMessageException("job request lacks its job id, model, task or input");
      }
      return new JobRequest(jobId, model, task, input, params);
    } catch (RuntimeException e) {
      throw ComputeMessageException.malformed("job request", e);
    }
  }

  @Override
  public String toString() {
    return "JobRequest[" + jobId + ", " + model + ", " + task + ", " + input.length + " bytes, " + params + "]";
  }
}
