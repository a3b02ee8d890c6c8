package io.canopy.p2p.kad;

import java.util.List;
import java.util.Map;

/** Dispatches validation and selection to the validator of a key's namespace; unknown namespaces are refused. */
final class RecordValidation {
  private final Map<String, RecordValidator> byNamespace;
  private final int maxValueSize;

  RecordValidation(Map<String, RecordValidator> byNamespace, int maxValueSize) {
    this.byNamespace = Map.copyOf(byNamespace);
    this.maxValueSize = maxValueSize;
  }

  void validate(byte[] key, byte[] value) {
    if (value.length > maxValueSize) {
      throw new InvalidRecordException("value of " + value.length + " bytes exceeds " + maxValueSize);
    }
    validator(key).validate(key, value);
  }

  int select(byte[] key, List<byte[]> values) {
    int i = validator(key).select(key, values);
    if (i < 0 || i >= values.size()) {
      throw new IllegalStateException("validator selected index " + i + " of " + values.size());
    }
    return i;
  }

  private RecordValidator validator(byte[] key) {
    String ns = RecordKeys.namespace(key);
    RecordValidator v = byNamespace.get(ns);
    if (v == null) {
      throw new InvalidRecordException("no validator for namespace /" + ns + "/");
    }
    return v;
  }
}
