package io.canopy.content.unixfs;

/** The {@code Data.DataType} enum of the UnixFS protobuf (ipfs/specs UNIXFS.md). */
public enum UnixFsType {
  RAW(0),
  DIRECTORY(1),
  FILE(2),
  METADATA(3),
  SYMLINK(4),
  HAMT_SHARD(5);

  private final int wire;

  UnixFsType(int wire) {
    this.wire = wire;
  }

  public int wire() {
    return wire;
  }

  public static UnixFsType fromWire(long value) {
    for (UnixFsType t : values()) {
      if (t.wire == value) {
        return t;
      }
    }
    throw new UnixFsException("unknown UnixFS type " + value);
  }

  public boolean isDirectory() {
    return this == DIRECTORY || this == HAMT_SHARD;
  }

  /** File-like nodes whose bytes are the file's content (File, and Raw as Kubo's trickle leaves). */
  public boolean isFileData() {
    return this == FILE || this == RAW;
  }
}
