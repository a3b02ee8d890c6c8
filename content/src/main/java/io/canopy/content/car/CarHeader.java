package io.canopy.content.car;

import io.canopy.multiformats.Cid;
import java.util.List;

/**
 * The CARv1 header (ipld.io/specs/transport/car/carv1, "Header"): the DAG-CBOR map {@code {"roots":
 * [CID...], "version": 1}}. Only version 1 exists here; a CARv2 starts with a pragma whose version is
 * 2 and is rejected by {@link #decode} with a message that says so.
 */
public record CarHeader(List<Cid> roots) {
  public static final long VERSION = 1;

  public CarHeader {
    roots = List.copyOf(roots);
  }

  /** The DAG-CBOR bytes of the header (without the varint length prefix). */
  public byte[] encode() {
    return CarHeaderCbor.encode(roots);
  }

  /**
   * Reads the DAG-CBOR header bytes. An empty roots list is accepted (the JS implementation and
   * CARv2 tooling write them; the spec leaves it open), a missing one is not.
   */
  public static CarHeader decode(byte[] cbor) throws CarFormatException {
    return CarHeaderCbor.decode(cbor);
  }
}
