package io.canopy.content.dagpb;

import java.util.Arrays;
import java.util.List;

/** A DAG-PB node: links plus optional opaque data (for UnixFS, an encoded {@code Data} message). */
public record PbNode(List<PbLink> links, byte[] data) {
  public PbNode {
    links = List.copyOf(links);
  }

  public static PbNode of(byte[] data, List<PbLink> links) {
    return new PbNode(links, data);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PbNode n && n.links.equals(links) && Arrays.equals(n.data, data);
  }

  @Override
  public int hashCode() {
    return links.hashCode() * 31 + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "PbNode[links=" + links.size() + ", data=" + (data == null ? "absent" : data.length + " bytes") + "]";
  }
}
