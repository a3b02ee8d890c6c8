package io.canopy.storage.poa;

/** Why a storage proof fails verification (spec/proofs.md §5.4.2); the verdict's reason starts with the name. */
public enum ProofFailure {
  /** The proof's bytes do not decode. */
  MALFORMED,
  /** The proof exceeds the size or block-count limit for its draws. */
  OVER_LIMIT,
  /** A block's bytes do not hash to the CID it is given under. */
  BAD_BLOCK_HASH,
  /** The same block is given twice. */
  DUPLICATE_BLOCK,
  /** A block on the path of a drawn offset is not in the proof. */
  MISSING_BLOCK,
  /** The DAG under the root does not lead to the offset: not UnixFS file data, blocksizes that do not add up, too deep. */
  BAD_PATH,
  /** The proof holds a block that is on no drawn path. */
  EXTRA_BLOCK,
  /** The root's UnixFS filesize is not the deal's file size. */
  WRONG_FILE_SIZE,
  /** The root is not a file (directories: §5.2.3). */
  UNSUPPORTED_ROOT
}
