package io.canopy.protocol.compute;

import io.canopy.multiformats.Cid;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.Objects;

/**
 * What a compute node serves (spec/compute.md §3.4): model {@code model} (the CID of its weights
 * as imported), a human {@code name}, its {@code task}, the most tokens one job may use, the
 * price per 1000 tokens in the ledger's unit, and how many jobs it would start right now.
 */
public record ModelOffer(Cid model, String name, Task task, int contextLength, long pricePer1k, int freeSlots) {
  public static final int MAX_NAME_LENGTH = 128;

  public ModelOffer {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(task, "task");
    if (name.length() > MAX_NAME_LENGTH) {
      throw new ComputeMessageException("model name longer than " + MAX_NAME_LENGTH + " characters");
    }
    if (contextLength < 0 || pricePer1k < 0 || freeSlots < 0) {
      throw new ComputeMessageException("context length, price and free slots must not be negative");
    }
  }

  public ModelOffer withFreeSlots(int slots) {
    return new ModelOffer(model, name, task, contextLength, pricePer1k, slots);
  }

  byte[] encode() {
    return new ProtoWriter()
        .bytes(1, model.toBytes())
        .string(2, name)
        .varint(3, task.wire)
        .varint(4, contextLength)
        .varint(5, pricePer1k)
        .varint(6, freeSlots)
        .toByteArray();
  }

  static ModelOffer decode(byte[] bytes) {
    Cid model = null;
    String name = "";
    Task task = null;
    long contextLength = 0;
    long price = 0;
    long free = 0;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> model = Cid.fromBytes(r.bytes());
        case 2 -> name = r.string();
        case 3 -> task = Task.of(r.varint());
        case 4 -> contextLength = r.varint();
        case 5 -> price = r.varint();
        case 6 -> free = r.varint();
        default -> r.skip();
      }
    }
    if (model == null || task == null) {
      throw new ComputeMessageException("model offer lacks its model or task");
    }
    if (price < 0) {
      throw new ComputeMessageException("price out of range");
    }
    return new ModelOffer(model, name, task, Params.narrow(contextLength, "context_length"), price, Params.narrow(free, "free_slots"));
  }
}
