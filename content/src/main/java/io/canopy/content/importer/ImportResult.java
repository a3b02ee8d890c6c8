package io.canopy.content.importer;

import io.canopy.multiformats.Cid;

/**
 * One imported file or directory: its root CID, its path as Kubo prints it, its cumulative DAG
 * size (what a parent link's Tsize holds) and, for files, the content size in bytes.
 */
public record ImportResult(Cid cid, String name, long size, long fileSize) {}
