package io.canopy.content.importer;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsType;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeWriterTest {
  /** The one-pass leaf encoder must give exactly the bytes of the general codecs. */
  @Test
  void leafNodeBytesEqualTheGeneralEncoding() {
    for (int size : new int[] {0, 1, 127, 128, 300, 16_383, 16_384, 262_144, 1_048_576}) {
      byte[] chunk = TestData.lcg(size);
      for (UnixFsType type : List.of(UnixFsType.FILE, UnixFsType.RAW)) {
        UnixFsData data = new UnixFsData(type, chunk, (long) size, List.of(), null, null, null, null);
        byte[] general = DagPb.encode(PbNode.of(data.encode(), List.of()));
        assertThat(NodeWriter.leafNode(type, chunk)).as("%s leaf of %d bytes", type, size).isEqualTo(general);
      }
    }
  }
}
