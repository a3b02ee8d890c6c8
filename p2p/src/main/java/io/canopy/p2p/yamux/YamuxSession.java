package io.canopy.p2p.yamux;

import io.canopy.p2p.yamux.YamuxException.Reason;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The yamux state machine of one connection, with no Netty channel in it: the stream table, both
 * flow-control windows of every stream, the stream limits, ping and Go Away. Frames come in
 * through {@link #receive}; everything the session has to say goes out through its {@link
 * Binding}. Not thread-safe: call it from one thread (the connection's event loop).
 *
 * <p>Spec rules implemented here (hashicorp/yamux spec.md; libp2p specs yamux/README.md):
 *
 * <ul>
 *   <li>Stream ids: the client (dialer) opens odd ids, the server even ids; 0 is the session.
 *   <li>Opening: a Window Update with SYN; the peer's SYN is acknowledged at once with a Window
 *       Update carrying ACK. Past {@link YamuxConfig#maxStreams()} or after Go Away a SYN is
 *       answered with RST.
 *   <li>Flow control: each side may send at most the peer's window of Data; more is a protocol
 *       error. Window Updates are sent as the application consumes data (once half the window is
 *       consumed), so a reader that stops stops the writer.
 *   <li>FIN half-closes one direction; the stream leaves the table once both sides sent FIN. RST
 *       removes it at once.
 *   <li>Ping with SYN is answered with ACK and the same value. Go Away: no new streams.
 * </ul>
 *
 * <p>Window growth: when a reader has consumed everything delivered to it by the time half of its
 * window is used (it keeps up, so the window and not the reader limits the stream), the next Window
 * Update also doubles the window, up to {@link YamuxConfig#maxStreamWindow()} and while the sum of
 * the session's windows stays within {@link YamuxConfig#maxSessionReceiveWindow()}.
 *
 * <p>Buffers: {@link #receive} takes ownership of the frame; a Data payload handed to {@link
 * Binding#data} belongs to the binding. {@link #sendData} takes ownership of the payload.
 */
public final class YamuxSession {
  private static final long MAX_STREAM_ID = 0xFFFF_FFFFL;
  /** A send window above 2^32 - 1 cannot come from any sane peer (the length field is 32 bits). */
  private static final long MAX_SEND_WINDOW = 0xFFFF_FFFFL;

  /** What the session needs from the code that binds it to a connection. */
  public interface Binding {
    /** Sends a frame to the peer; takes ownership of it. */
    void writeFrame(YamuxFrame frame);

    /** The peer opened {@code stream}; it is acknowledged and in the table. */
    void inboundStream(YamuxStream stream);

    /**
     * Data arrived on {@code stream}; the binding owns {@code payload} and must call {@link
     * #consumed} when the application has taken it.
     */
    void data(YamuxStream stream, ByteBuf payload);

    /** The peer half-closed {@code stream}: no more data will arrive. */
    void remoteFin(YamuxStream stream);

    /** {@code stream} ended abnormally: reset by the peer, or the session closed. */
    void reset(YamuxStream stream, YamuxException cause);

    /** The peer granted more window on {@code stream}; pending data may be sent. */
    void sendWindowOpened(YamuxStream stream);

    /** The peer answered the ping with this opaque value. */
    void pong(int opaque);

    /** The peer sent Go Away with this error code. */
    void goAway(int errorCode);
  }

  private final boolean client;
  private final YamuxConfig config;
  private final Binding binding;
  private final Map<Integer, YamuxStream> streams = new HashMap<>();
  private long nextStreamId;
  private int unacknowledged;
  private long totalReceiveWindow;
  private int nextPing;
  private boolean localGoAway;
  private boolean remoteGoAway;
  private boolean closed;

  /**
   * @param client true on the side that dialed the connection (it opens odd stream ids)
   */
  public YamuxSession(boolean client, YamuxConfig config, Binding binding) {
    this.client = client;
    this.config = Objects.requireNonNull(config, "config");
    this.binding = Objects.requireNonNull(binding, "binding");
    this.nextStreamId = client ? 1 : 2;
  }

  public boolean isClient() {
    return client;
  }

  public YamuxConfig config() {
    return config;
  }

  /** Streams in the table (open in at least one direction). */
  public int streamCount() {
    return streams.size();
  }

  /** The stream with this id, or null. */
  public YamuxStream stream(int id) {
    return streams.get(id);
  }

  /** Calls {@code action} for every stream in the table. */
  public void forEachStream(java.util.function.Consumer<YamuxStream> action) {
    new ArrayList<>(streams.values()).forEach(action);
  }

  /** Outbound streams whose ACK has not arrived. */
  public int unacknowledgedStreams() {
    return unacknowledged;
  }

  /** True if a new outbound stream must wait for an ACK (libp2p "ACK backlog"). */
  public boolean ackBacklogFull() {
    return unacknowledged >= config.maxAckBacklog();
  }

  public boolean isClosed() {
    return closed;
  }

  /** True once this side sent Go Away. */
  public boolean isLocalGoAway() {
    return localGoAway;
  }

  /** True once the peer sent Go Away. */
  public boolean isRemoteGoAway() {
    return remoteGoAway;
  }

  // ---- opening, sending, closing ------------------------------------------------------------

  /**
   * Opens an outbound stream: sends a Window Update with SYN (carrying any window above the spec's
   * initial 256 KiB).
   *
   * @throws YamuxException if the session is closed or going away, the stream limit is reached, or
   *     the ACK backlog is full (check {@link #ackBacklogFull()} first and wait for an ACK)
   */
  public YamuxStream open() throws YamuxException {
    if (closed) {
      throw new YamuxException(Reason.SESSION_CLOSED, "session closed");
    }
    if (localGoAway || remoteGoAway) {
      throw new YamuxException(Reason.GOING_AWAY, (localGoAway ? "this side" : "the peer") + " sent Go Away");
    }
    if (streams.size() >= config.maxStreams()) {
      throw new YamuxException(Reason.STREAM_LIMIT, streams.size() + " streams open, the limit is " + config.maxStreams());
    }
    if (nextStreamId > MAX_STREAM_ID) {
      throw new YamuxException(Reason.STREAM_LIMIT, "stream ids used up");
    }
    if (ackBacklogFull()) {
      throw new YamuxException(Reason.STREAM_LIMIT, unacknowledged + " streams wait for an ACK");
    }
    YamuxStream stream = new YamuxStream((int) nextStreamId, true);
    nextStreamId += 2;
    add(stream);
    unacknowledged++;
    binding.writeFrame(YamuxFrame.windowUpdate(stream.id(), YamuxFrame.FLAG_SYN, windowAboveSpec()));
    return stream;
  }

  /** How many bytes of a {@code wanted}-byte write may go out on {@code stream} now (0: wait). */
  public int sendableBytes(YamuxStream stream, int wanted) {
    if (stream.removed || stream.localFin || closed) {
      return 0;
    }
    return (int) Math.min(Math.min(wanted, stream.sendWindow), config.maxDataFrameSize());
  }

  /**
   * Sends {@code payload} as one Data frame; takes ownership of it.
   *
   * @throws IllegalStateException if the payload exceeds {@link #sendableBytes}
   */
  public void sendData(YamuxStream stream, ByteBuf payload) {
    int n = payload.readableBytes();
    if (n > sendableBytes(stream, n) || n == 0) {
      payload.release();
      throw new IllegalStateException(
          "cannot send " + n + " bytes on " + stream + (closed ? " (session closed)" : ""));
    }
    stream.sendWindow -= n;
    binding.writeFrame(YamuxFrame.data(stream.id(), 0, payload));
  }

  /** Half-closes {@code stream}: sends FIN. Does nothing if FIN was sent or the stream is gone. */
  public void closeWrite(YamuxStream stream) {
    if (stream.removed || stream.localFin || closed) {
      return;
    }
    stream.localFin = true;
    binding.writeFrame(YamuxFrame.windowUpdate(stream.id(), YamuxFrame.FLAG_FIN, 0));
    if (stream.remoteFin) {
      remove(stream);
    }
  }

  /** Resets {@code stream}: sends RST and forgets it. Does nothing if it is gone. */
  public void reset(YamuxStream stream) {
    if (stream.removed || closed) {
      return;
    }
    binding.writeFrame(YamuxFrame.windowUpdate(stream.id(), YamuxFrame.FLAG_RST, 0));
    remove(stream);
  }

  /**
   * The application consumed {@code bytes} delivered on {@code stream}: once half the window is
   * consumed, grant it back (and perhaps more, see the class comment) with a Window Update.
   */
  public void consumed(YamuxStream stream, int bytes) {
    if (bytes <= 0 || stream.removed || closed) {
      return;
    }
    stream.buffered -= bytes;
    stream.pendingCredit += bytes;
    if (stream.remoteFin || stream.pendingCredit < stream.receiveWindowSize / 2) {
      return;
    }
    long delta = stream.pendingCredit;
    if (stream.buffered == 0 && !stream.readerGone) {
      long growth = Math.min(stream.receiveWindowSize, config.maxStreamWindow() - (long) stream.receiveWindowSize);
      growth = Math.min(growth, config.maxSessionReceiveWindow() - totalReceiveWindow);
      if (growth > 0) {
        stream.receiveWindowSize += (int) growth;
        totalReceiveWindow += growth;
        delta += growth;
      }
    }
    stream.pendingCredit = 0;
    stream.receiveWindow += delta;
    binding.writeFrame(YamuxFrame.windowUpdate(stream.id(), 0, (int) delta));
  }

  /**
   * The application will read no more of {@code stream} (its channel closed while the peer may
   * still send): {@code unread} bytes delivered but not consumed are dropped, and so is every later
   * Data frame, each granted back at once so that the peer can finish and send its FIN.
   */
  public void discardInbound(YamuxStream stream, int unread) {
    stream.readerGone = true;
    consumed(stream, unread);
  }

  /** Sends a ping (SYN) and returns its opaque value; {@link Binding#pong} reports the answer. */
  public int ping() throws YamuxException {
    if (closed) {
      throw new YamuxException(Reason.SESSION_CLOSED, "session closed");
    }
    int opaque = nextPing++;
    binding.writeFrame(YamuxFrame.ping(YamuxFrame.FLAG_SYN, opaque));
    return opaque;
  }

  /**
   * Sends Go Away with {@code errorCode} (once; later calls do nothing): no new streams from now
   * on, in either direction. Streams already open go on.
   */
  public void goAway(int errorCode) {
    if (localGoAway || closed) {
      return;
    }
    localGoAway = true;
    binding.writeFrame(YamuxFrame.goAway(errorCode));
  }

  /**
   * Ends the session (its connection closed): every stream is reported to {@link Binding#reset}
   * with {@code cause} and forgotten. Sends nothing.
   */
  public void close(YamuxException cause) {
    if (closed) {
      return;
    }
    closed = true;
    for (YamuxStream stream : new ArrayList<>(streams.values())) {
      remove(stream);
      binding.reset(stream, cause);
    }
  }

  // ---- receiving -----------------------------------------------------------------------------

  /**
   * Handles one frame from the peer and releases it.
   *
   * @throws YamuxException with {@link Reason#PROTOCOL_ERROR} if the peer broke the protocol; the
   *     caller should then send Go Away ({@link YamuxFrame#GO_AWAY_PROTOCOL_ERROR}) and close
   */
  public void receive(YamuxFrame frame) throws YamuxException {
    try {
      if (closed) {
        return;
      }
      switch (frame.type()) {
        case DATA, WINDOW_UPDATE -> receiveStreamFrame(frame);
        case PING -> receivePing(frame);
        case GO_AWAY -> {
          remoteGoAway = true;
          binding.goAway(frame.length());
        }
      }
    } finally {
      frame.release();
    }
  }

  private void receivePing(YamuxFrame frame) {
    // Spec: Ping uses stream id 0; other ids are tolerated, as go-yamux does.
    if (frame.hasFlag(YamuxFrame.FLAG_SYN)) {
      binding.writeFrame(YamuxFrame.ping(YamuxFrame.FLAG_ACK, frame.length()));
    } else if (frame.hasFlag(YamuxFrame.FLAG_ACK)) {
      binding.pong(frame.length());
    }
  }

  private void receiveStreamFrame(YamuxFrame frame) throws YamuxException {
    int id = frame.streamId();
    if (id == YamuxFrame.SESSION_STREAM_ID) {
      throw YamuxException.protocolError(frame.type() + " frame on the session stream id 0");
    }
    YamuxStream stream = streams.get(id);
    if (frame.hasFlag(YamuxFrame.FLAG_SYN)) {
      if (stream != null) {
        throw YamuxException.protocolError("SYN for stream " + Integer.toUnsignedLong(id) + ", which is open");
      }
      if (isLocalId(id)) {
        throw YamuxException.protocolError("SYN for stream " + Integer.toUnsignedLong(id)
            + ": the " + (client ? "server" : "client") + " must open " + (client ? "even" : "odd") + " ids");
      }
      if (frame.hasFlag(YamuxFrame.FLAG_RST)) {
        return;
      }
      if (localGoAway || streams.size() >= config.maxStreams()) {
        binding.writeFrame(YamuxFrame.windowUpdate(id, YamuxFrame.FLAG_RST, 0));
        return;
      }
      stream = new YamuxStream(id, false);
      add(stream);
      stream.acknowledged = true;
      binding.writeFrame(YamuxFrame.windowUpdate(id, YamuxFrame.FLAG_ACK, windowAboveSpec()));
      binding.inboundStream(stream);
      if (stream.removed) {
        return;
      }
    }
    if (stream == null) {
      // A frame for a stream this side reset or finished: the peer had sent it before it knew.
      return;
    }
    if (frame.hasFlag(YamuxFrame.FLAG_ACK) && stream.isOutbound() && !stream.acknowledged) {
      stream.acknowledged = true;
      unacknowledged--;
    }
    if (frame.hasFlag(YamuxFrame.FLAG_RST)) {
      remove(stream);
      binding.reset(stream, new YamuxException(Reason.STREAM_RESET,
          "stream " + Integer.toUnsignedLong(id) + " reset by the peer"));
      return;
    }
    if (frame.type() == YamuxFrame.Type.DATA) {
      receiveData(stream, frame.content());
      if (stream.removed) {
        return;
      }
    } else {
      receiveWindowUpdate(stream, frame.lengthUnsigned());
    }
    if (frame.hasFlag(YamuxFrame.FLAG_FIN) && !stream.remoteFin) {
      stream.remoteFin = true;
      if (stream.localFin) {
        remove(stream);
      }
      binding.remoteFin(stream);
    }
  }

  private void receiveData(YamuxStream stream, ByteBuf payload) throws YamuxException {
    int n = payload.readableBytes();
    if (n == 0) {
      return;
    }
    if (stream.remoteFin) {
      throw YamuxException.protocolError(n + " bytes of Data on stream "
          + Integer.toUnsignedLong(stream.id()) + " after its FIN");
    }
    if (n > stream.receiveWindow) {
      throw YamuxException.protocolError(n + " bytes of Data on stream " + Integer.toUnsignedLong(stream.id())
          + " exceed its receive window of " + stream.receiveWindow);
    }
    stream.receiveWindow -= n;
    stream.buffered += n;
    if (stream.readerGone) {
      consumed(stream, n);
    } else {
      binding.data(stream, payload.retain());
    }
  }

  private void receiveWindowUpdate(YamuxStream stream, long delta) throws YamuxException {
    if (delta == 0) {
      return;
    }
    stream.sendWindow += delta;
    if (stream.sendWindow > MAX_SEND_WINDOW) {
      throw YamuxException.protocolError("send window of stream " + Integer.toUnsignedLong(stream.id())
          + " overflows 32 bits");
    }
    if (!stream.localFin) {
      binding.sendWindowOpened(stream);
    }
  }

  // ---- table ---------------------------------------------------------------------------------

  private boolean isLocalId(int id) {
    return ((id & 1) == 1) == client;
  }

  /** The delta a SYN or ACK carries so that the peer learns a window above the spec's default. */
  private int windowAboveSpec() {
    return config.initialStreamWindow() - YamuxConfig.SPEC_INITIAL_STREAM_WINDOW;
  }

  private void add(YamuxStream stream) {
    int extra = windowAboveSpec();
    stream.receiveWindowSize += extra;
    stream.receiveWindow += extra;
    totalReceiveWindow += stream.receiveWindowSize;
    streams.put(stream.id(), stream);
  }

  private void remove(YamuxStream stream) {
    if (stream.removed) {
      return;
    }
    stream.removed = true;
    streams.remove(stream.id());
    totalReceiveWindow -= stream.receiveWindowSize;
    if (stream.isOutbound() && !stream.acknowledged) {
      unacknowledged--;
    }
  }
}
