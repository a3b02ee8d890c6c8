package io.canopy.content.importer;

import io.canopy.multiformats.Cid;

/**
 * A finished node as its parent sees it: the CID, the cumulative size of the DAG under it (a
 * link's Tsize), and how many bytes of file content it holds (the parent's blocksizes entry).
 * Public so that the leaves of existing files ({@link FileLeaves}) can be laid out again by
 * {@link Importer#importLeaves}.
 */
public record DagLink(Cid cid, long tsize, long fileSize) {}
