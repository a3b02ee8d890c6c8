package io.canopy.content.importer;

/** How file chunks are arranged under the root (Kubo's {@code --trickle} picks TRICKLE). */
public enum Layout {
  /** A full tree, up to {@code maxLinks} children per node (Kubo's default). */
  BALANCED,
  /** A tree that favours streaming reads: each node holds leaves then deeper subtrees, 4 per depth. */
  TRICKLE
}
