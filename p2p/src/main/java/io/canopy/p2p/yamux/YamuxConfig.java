package io.canopy.p2p.yamux;

/**
 * The limits of a yamux session; immutable, built with {@link #builder()}. Defaults follow the
 * yamux spec (256 KiB initial window) and the libp2p implementations (16 MiB window cap, an ACK
 * backlog of 256 streams).
 */
public final class YamuxConfig {
  /** The window both sides assume for a new stream (spec "Flow Control": 256 KB). */
  public static final int SPEC_INITIAL_STREAM_WINDOW = 256 * 1024;

  public static final int DEFAULT_INITIAL_STREAM_WINDOW = SPEC_INITIAL_STREAM_WINDOW;
  /** go-yamux and rust-yamux let a stream's receive window grow to 16 MiB. */
  public static final int DEFAULT_MAX_STREAM_WINDOW = 16 * 1024 * 1024;
  /**
   * Windows grow beyond their initial size only while the sum of all the session's stream windows
   * stays at most this, so one connection cannot make this side buffer 512 × 16 MiB.
   */
  public static final long DEFAULT_MAX_SESSION_RECEIVE_WINDOW = 64L * 1024 * 1024;
  public static final int DEFAULT_MAX_STREAMS = 512;
  /** libp2p yamux spec, "ACK backlog": at most 256 streams opened and not yet acknowledged. */
  public static final int DEFAULT_MAX_ACK_BACKLOG = 256;
  /** The largest Data payload this side sends in one frame. */
  public static final int DEFAULT_MAX_DATA_FRAME_SIZE = 64 * 1024;

  public static final YamuxConfig DEFAULT = builder().build();

  private final int initialStreamWindow;
  private final int maxStreamWindow;
  private final long maxSessionReceiveWindow;
  private final int maxStreams;
  private final int maxAckBacklog;
  private final int maxDataFrameSize;

  private YamuxConfig(Builder b) {
    this.initialStreamWindow = b.initialStreamWindow;
    this.maxStreamWindow = b.maxStreamWindow;
    this.maxSessionReceiveWindow = b.maxSessionReceiveWindow;
    this.maxStreams = b.maxStreams;
    this.maxAckBacklog = b.maxAckBacklog;
    this.maxDataFrameSize = b.maxDataFrameSize;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this config's values. */
  public Builder toBuilder() {
    return new Builder()
        .initialStreamWindow(initialStreamWindow)
        .maxStreamWindow(maxStreamWindow)
        .maxSessionReceiveWindow(maxSessionReceiveWindow)
        .maxStreams(maxStreams)
        .maxAckBacklog(maxAckBacklog)
        .maxDataFrameSize(maxDataFrameSize);
  }

  /**
   * The receive window this side grants each new stream. Never less than the spec's 256 KiB,
   * because the peer assumes that much before any Window Update; more is announced with the
   * SYN/ACK.
   */
  public int initialStreamWindow() {
    return initialStreamWindow;
  }

  /**
   * The largest receive window of one stream, hence the most this side buffers for a stream whose
   * reader is not reading, and the largest Data frame accepted.
   */
  public int maxStreamWindow() {
    return maxStreamWindow;
  }

  /** See {@link #DEFAULT_MAX_SESSION_RECEIVE_WINDOW}. */
  public long maxSessionReceiveWindow() {
    return maxSessionReceiveWindow;
  }

  /**
   * The most streams open at once in a session, both directions together. An inbound SYN past it
   * is answered with RST; a local open past it fails.
   */
  public int maxStreams() {
    return maxStreams;
  }

  /** The most outbound streams not yet acknowledged; further opens wait for an ACK. */
  public int maxAckBacklog() {
    return maxAckBacklog;
  }

  /** The largest Data payload sent in one frame. */
  public int maxDataFrameSize() {
    return maxDataFrameSize;
  }

  @Override
  public String toString() {
    return "YamuxConfig{initialStreamWindow=" + initialStreamWindow
        + ", maxStreamWindow=" + maxStreamWindow
        + ", maxSessionReceiveWindow=" + maxSessionReceiveWindow
        + ", maxStreams=" + maxStreams
        + ", maxAckBacklog=" + maxAckBacklog
        + ", maxDataFrameSize=" + maxDataFrameSize + '}';
  }

  /** Builds a {@link YamuxConfig}; {@link #build()} checks that the values fit together. */
  public static final class Builder {
    private int initialStreamWindow = DEFAULT_INITIAL_STREAM_WINDOW;
    private int maxStreamWindow = DEFAULT_MAX_STREAM_WINDOW;
    private long maxSessionReceiveWindow = DEFAULT_MAX_SESSION_RECEIVE_WINDOW;
    private int maxStreams = DEFAULT_MAX_STREAMS;
    private int maxAckBacklog = DEFAULT_MAX_ACK_BACKLOG;
    private int maxDataFrameSize = DEFAULT_MAX_DATA_FRAME_SIZE;

    private Builder() {}

    public Builder initialStreamWindow(int bytes) {
      this.initialStreamWindow = bytes;
      return this;
    }

    public Builder maxStreamWindow(int bytes) {
      this.maxStreamWindow = bytes;
      return this;
    }

    public Builder maxSessionReceiveWindow(long bytes) {
      this.maxSessionReceiveWindow = bytes;
      return this;
    }

    public Builder maxStreams(int streams) {
      this.maxStreams = streams;
      return this;
    }

    public Builder maxAckBacklog(int streams) {
      this.maxAckBacklog = streams;
      return this;
    }

    public Builder maxDataFrameSize(int bytes) {
      this.maxDataFrameSize = bytes;
      return this;
    }

    public YamuxConfig build() {
      if (initialStreamWindow < SPEC_INITIAL_STREAM_WINDOW) {
        throw new IllegalArgumentException(
            "initialStreamWindow " + initialStreamWindow + " is below the spec's " + SPEC_INITIAL_STREAM_WINDOW);
      }
      if (maxStreamWindow < initialStreamWindow) {
        throw new IllegalArgumentException(
            "maxStreamWindow " + maxStreamWindow + " is below initialStreamWindow " + initialStreamWindow);
      }
      if (maxSessionReceiveWindow < 0) {
        throw new IllegalArgumentException("maxSessionReceiveWindow " + maxSessionReceiveWindow);
      }
      if (maxStreams < 1) {
        throw new IllegalArgumentException("maxStreams " + maxStreams);
      }
      if (maxAckBacklog < 1) {
        throw new IllegalArgumentException("maxAckBacklog " + maxAckBacklog);
      }
      if (maxDataFrameSize < 1) {
        throw new IllegalArgumentException("maxDataFrameSize " + maxDataFrameSize);
      }
      return new YamuxConfig(this);
    }
  }
}
