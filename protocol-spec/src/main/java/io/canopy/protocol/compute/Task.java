package io.canopy.protocol.compute;

/** What a model does with a job's input (spec/compute.md §3.1); the input and output formats follow from it. */
public enum Task {
  /** Input: JSON {@code {"input": "text" | ["text", …]}}; output: JSON vectors and usage. */
  EMBEDDING(1),
  /** Input: the prompt as UTF-8 text; output: the generated UTF-8 text. */
  COMPLETION(2),
  /** Input: JSON {@code {"messages": [{"role": …, "content": …}, …]}}; output: the reply as UTF-8 text. */
  CHAT(3);

  final int wire;

  Task(int wire) {
    this.wire = wire;
  }

  public int wire() {
    return wire;
  }

  static Task of(long wire) {
    for (Task t : values()) {
      if (t.wire == wire) {
        return t;
      }
    }
    throw new ComputeMessageException("unknown task " + wire);
  }
}
