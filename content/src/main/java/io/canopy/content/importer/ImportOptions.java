package io.canopy.content.importer;

import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;

/**
 * What {@code canopy add} is told, with Kubo's defaults and Kubo's rules for how options imply
 * each other: a hash other than sha2-256 forces CIDv1 (v0 can only name sha2-256), and CIDv1 makes
 * leaves raw unless raw leaves are explicitly turned off.
 */
public final class ImportOptions {
  public static final int DEFAULT_CHUNK_SIZE = 262_144;
  /** boxo's ChunkSizeLimit: 2 MiB blocks less 256 bytes of UnixFS framing. */
  public static final int MAX_CHUNK_SIZE = 2 * 1024 * 1024 - 256;
  public static final int DEFAULT_MAX_LINKS = 174;
  /** Kubo shards a directory once sum(name bytes + CID bytes) of its entries passes this. */
  public static final int DEFAULT_HAMT_THRESHOLD = 262_144;

  private final int cidVersion;
  private final boolean rawLeaves;
  private final int chunkSize;
  private final Layout layout;
  private final int maxLinks;
  private final Multicodec hash;
  private final boolean wrapWithDirectory;
  private final boolean includeHidden;
  private final boolean preserveMode;
  private final boolean preserveMtime;
  private final int hamtThreshold;

  private ImportOptions(Builder b) {
    this.hash = b.hash;
    this.cidVersion = (b.hash != Multicodec.SHA2_256) ? 1 : b.cidVersion;
    this.rawLeaves = b.rawLeaves != null ? b.rawLeaves : cidVersion == 1;
    this.chunkSize = b.chunkSize;
    this.layout = b.layout;
    this.maxLinks = b.maxLinks;
    this.wrapWithDirectory = b.wrapWithDirectory;
    this.includeHidden = b.includeHidden;
    this.preserveMode = b.preserveMode;
    this.preserveMtime = b.preserveMtime;
    this.hamtThreshold = b.hamtThreshold;
  }

  public static ImportOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public int cidVersion() {
    return cidVersion;
  }

  public boolean rawLeaves() {
    return rawLeaves;
  }

  public int chunkSize() {
    return chunkSize;
  }

  public Layout layout() {
    return layout;
  }

  public int maxLinks() {
    return maxLinks;
  }

  public Multicodec hash() {
    return hash;
  }

  public boolean wrapWithDirectory() {
    return wrapWithDirectory;
  }

  public boolean includeHidden() {
    return includeHidden;
  }

  public boolean preserveMode() {
    return preserveMode;
  }

  public boolean preserveMtime() {
    return preserveMtime;
  }

  public int hamtThreshold() {
    return hamtThreshold;
  }

  /** Parses Kubo's chunker spec; only the fixed-size chunker ({@code size-N}) is supported. */
  public static int parseChunker(String spec) {
    if (spec == null || spec.isEmpty() || spec.equals("default")) {
      return DEFAULT_CHUNK_SIZE;
    }
    if (!spec.startsWith("size-")) {
      throw new IllegalArgumentException("unsupported chunker '" + spec + "': only size-N is supported");
    }
    try {
      return Integer.parseInt(spec.substring(5));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad chunker size in '" + spec + "'");
    }
  }

  public static final class Builder {
    private int cidVersion = 0;
    private Boolean rawLeaves;
    private int chunkSize = DEFAULT_CHUNK_SIZE;
    private Layout layout = Layout.BALANCED;
    private int maxLinks = DEFAULT_MAX_LINKS;
    private Multicodec hash = Multicodec.SHA2_256;
    private boolean wrapWithDirectory;
    private boolean includeHidden;
    private boolean preserveMode;
    private boolean preserveMtime;
    private int hamtThreshold = DEFAULT_HAMT_THRESHOLD;

    private Builder() {}

    public Builder cidVersion(int v) {
      if (v != 0 && v != 1) {
        throw new IllegalArgumentException("CID version must be 0 or 1, got " + v);
      }
      this.cidVersion = v;
      return this;
    }

    /** Null means Kubo's default: raw leaves exactly when the CID version is 1. */
    public Builder rawLeaves(Boolean raw) {
      this.rawLeaves = raw;
      return this;
    }

    public Builder chunkSize(int size) {
      if (size < 1 || size > MAX_CHUNK_SIZE) {
        throw new IllegalArgumentException("chunk size must be between 1 and " + MAX_CHUNK_SIZE + " bytes, got " + size);
      }
      this.chunkSize = size;
      return this;
    }

    public Builder layout(Layout layout) {
      this.layout = layout;
      return this;
    }

    public Builder maxLinks(int maxLinks) {
      if (maxLinks < 2) {
        throw new IllegalArgumentException("a node needs room for at least 2 links");
      }
      this.maxLinks = maxLinks;
      return this;
    }

    public Builder hash(Multicodec hash) {
      if (!Multihash.isSupported(hash) || hash == Multicodec.IDENTITY) {
        throw new IllegalArgumentException("unsupported hash function for content: " + hash.codecName());
      }
      this.hash = hash;
      return this;
    }

    public Builder wrapWithDirectory(boolean wrap) {
      this.wrapWithDirectory = wrap;
      return this;
    }

    /** Kubo skips files and folders whose names start with "." unless {@code --hidden}. */
    public Builder includeHidden(boolean include) {
      this.includeHidden = include;
      return this;
    }

    public Builder preserveMode(boolean preserve) {
      this.preserveMode = preserve;
      return this;
    }

    public Builder preserveMtime(boolean preserve) {
      this.preserveMtime = preserve;
      return this;
    }

    public Builder hamtThreshold(int bytes) {
      this.hamtThreshold = bytes;
      return this;
    }

    public ImportOptions build() {
      return new ImportOptions(this);
    }
  }
}
