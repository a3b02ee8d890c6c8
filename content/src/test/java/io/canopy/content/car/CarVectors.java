package io.canopy.content.car;

/**
 * Bytes produced by the JavaScript reference stack (@ipld/car 5.4.7, @ipld/dag-pb 4.2.0,
 * multiformats 14.0.5) for a small DAG, pasted here as fixed vectors:
 *
 * <pre>
 * A = raw "alpha", B = raw "beta", C = raw "gamma"                       (CIDv1, raw)
 * sub  = dag-pb {Data 08 01, x → C (Tsize 5), y → A (Tsize 5)}             (CIDv1)
 * root = dag-pb {Data 08 01, 1-sub → sub (100), 2-b → B (4), 3-a-again → A (5)} (CIDv0)
 * </pre>
 */
public final class CarVectors {
  public static final String ROOT = "QmaqxWSgBpZfUpPwfLrSNNRzny7iu6YCgpRZuRbdc3f3Z6";
  public static final String SUB = "bafybeihg7ru3r4bg5pvqyotybtqxgtblvdkbvlzeaxullmn2m3emv32nvm";

  public static final String ROOT_BLOCK_HEX =
      "122f0a2401701220e6fc69b8f026ebeb0c3a780ce1734c2ba8d41aaf2405e8b5b1ba66c8caef4dab1205312d7375621864"
          + "122d0a2401551220f44e64e75f3948e9f73f8dfa94721c4ce8cbb4f265c4790c702b2d41cfbf27531203322d621804"
          + "12330a24015512208ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f81209332d612d61"
          + "6761696e18050a020801";

  public static final String SUB_BLOCK_HEX =
      "122b0a2401551220be9d587defa1f0c09ef49eb17e206983a5f8f8289e4281860bd0ee5a19592c671201781805"
          + "122b0a24015512208ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f812017918050a020801";

  /** {@code CarWriter.create([root])} with no blocks: varint(0x38) then the DAG-CBOR header. */
  public static final String HEADER_V0_ROOT_HEX =
      "38a265726f6f747381d82a5823001220b9ce363d49350516eefcd6d79385a4b26de5105f183fefd1de36702f0cd9a87d"
          + "6776657273696f6e01";

  /** {@code CarWriter.create([A, sub])}: two CIDv1 roots. */
  public static final String HEADER_TWO_V1_ROOTS_HEX =
      "63a265726f6f747382d82a582500015512208ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8"
          + "d82a58250001701220e6fc69b8f026ebeb0c3a780ce1734c2ba8d41aaf2405e8b5b1ba66c8caef4dab"
          + "6776657273696f6e01";

  /** The whole DAG as a CAR, blocks in depth-first pre-order without duplicates: root, sub, C, A, B. */
  public static final String DAG_CAR_HEX =
      "38a265726f6f747381d82a5823001220b9ce363d49350516eefcd6d79385a4b26de5105f183fefd1de36702f0cd9a87d"
          + "6776657273696f6e01"
          + "bb011220b9ce363d49350516eefcd6d79385a4b26de5105f183fefd1de36702f0cd9a87d"
          + "122f0a2401701220e6fc69b8f026ebeb0c3a780ce1734c2ba8d41aaf2405e8b5b1ba66c8caef4dab1205312d7375621864"
          + "122d0a2401551220f44e64e75f3948e9f73f8dfa94721c4ce8cbb4f265c4790c702b2d41cfbf27531203322d621804"
          + "12330a24015512208ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f81209332d612d61"
          + "6761696e18050a020801"
          + "820101701220e6fc69b8f026ebeb0c3a780ce1734c2ba8d41aaf2405e8b5b1ba66c8caef4dab"
          + "122b0a2401551220be9d587defa1f0c09ef49eb17e206983a5f8f8289e4281860bd0ee5a19592c671201781805"
          + "122b0a24015512208ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f812017918050a020801"
          + "2901551220be9d587defa1f0c09ef49eb17e206983a5f8f8289e4281860bd0ee5a19592c67" + "67616d6d61"
          + "29015512208ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8" + "616c706861"
          + "2801551220f44e64e75f3948e9f73f8dfa94721c4ce8cbb4f265c4790c702b2d41cfbf2753" + "62657461";

  private CarVectors() {}
}
