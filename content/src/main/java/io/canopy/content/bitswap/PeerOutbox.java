package io.canopy.content.bitswap;

import io.canopy.content.bitswap.BitswapMessage.Entry;
import io.canopy.content.bitswap.BitswapMessage.WantType;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.StreamHandler;
import io.canopy.p2p.stream.VarintFrameEncoder;
import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Everything this node sends to one peer goes through one long-lived outbound stream (as boxo's
 * message queue and js-bitswap do; replies never go back on the peer's own stream). The stream is
 * opened on first use, negotiating 1.2.0, then 1.1.0, then 1.0.0, and opened again after it fails.
 *
 * <p>Wantlist changes are coalesced until the next flush, one flush per event-loop turn, so wants
 * issued together leave as one message. Responses (blocks, presences) are written as built and
 * their callback tells the engine when their bytes have left the queue.
 *
 * <p>Threads: any caller; the stream is written only on its event loop.
 */
final class PeerOutbox {
  static final List<String> PROTOCOLS = List.of(Bitswap.PROTOCOL_1_2_0, Bitswap.PROTOCOL_1_1_0, Bitswap.PROTOCOL_1_0_0);
  /** Wantlist entries per message: keeps a big broadcast well under every peer's message limit. */
  static final int MAX_ENTRIES_PER_MESSAGE = 1024;

  /** What the owner is told. */
  interface Events {
    /** Sets up the reader on a newly opened stream (the peer may write on it too). */
    void initStream(Channel stream, String protocol, io.canopy.p2p.host.Connection connection);

    /** The stream could not be opened (no address, peer gone, protocol unsupported). */
    void streamFailed(PeerId peer, Throwable cause);

    /** {@code messages} messages were written. */
    void messagesSent(int messages);
  }

  private record Response(BitswapMessage message, Consumer<Boolean> done) {}

  private final PeerId peer;
  private final Host host;
  private final Events events;
  private final Object lock = new Object();
  private final Map<Cid, Entry> wants = new LinkedHashMap<>();
  private final ArrayDeque<Response> responses = new ArrayDeque<>();
  private Channel stream;
  private String protocol;
  private boolean opening;
  private boolean flushScheduled;
  private boolean closed;

  PeerOutbox(PeerId peer, Host host, Events events) {
    this.peer = peer;
    this.host = host;
    this.events = events;
  }

  /** Queues wantlist entries; a later entry for a CID replaces an earlier one, but never downgrades a want-block. */
  void sendWants(List<Entry> entries) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      for (Entry e : entries) {
        Entry before = wants.get(e.cid());
        boolean keepBlock = before != null && !before.cancel() && !e.cancel()
            && before.wantType() == WantType.BLOCK && e.wantType() == WantType.HAVE;
        if (!keepBlock) {
          wants.put(e.cid(), e);
        }
      }
    }
    kick();
  }

  /** Queues a response; {@code done} gets true once it is handed to the connection, false if dropped. */
  void sendResponse(BitswapMessage message, Consumer<Boolean> done) {
    synchronized (lock) {
      if (!closed) {
        responses.add(new Response(message, done));
        message = null;
      }
    }
    if (message != null) {
      done.accept(false);
      return;
    }
    kick();
  }

  /** The negotiated protocol id, or null while no stream is open. */
  String protocol() {
    synchronized (lock) {
      return stream == null ? null : protocol;
    }
  }

  private void kick() {
    Channel ch;
    boolean open = false;
    synchronized (lock) {
      if (closed || flushScheduled || (wants.isEmpty() && responses.isEmpty())) {
        return;
      }
      if (stream == null) {
        if (opening) {
          return;
        }
        opening = open = true;
        ch = null;
      } else {
        flushScheduled = true;
        ch = stream;
      }
    }
    if (open) {
      open();
    } else {
      ch.eventLoop().execute(this::flush);
    }
  }

  private void open() {
    AtomicReference<String> negotiated = new AtomicReference<>();
    StreamHandler init = (ch, proto, connection) -> {
      negotiated.set(proto);
      ch.pipeline().addLast(VarintFrameEncoder.INSTANCE);
      events.initStream(ch, proto, connection);
    };
    host.newStream(peer, PROTOCOLS, init).whenComplete((ch, err) -> {
      List<Response> dropped = List.of();
      synchronized (lock) {
        opening = false;
        if (err == null && !closed) {
          stream = ch;
          protocol = negotiated.get();
        } else {
          dropped = new ArrayList<>(responses);
          responses.clear();
          wants.clear(); // the sessions' timers ask someone else
        }
      }
      dropped.forEach(r -> r.done().accept(false));
      if (err != null) {
        events.streamFailed(peer, err);
        return;
      }
      if (closed) {
        ch.close();
        return;
      }
      ch.closeFuture().addListener(f -> {
        synchronized (lock) {
          if (stream == ch) {
            stream = null; // the next message opens a new stream
          }
        }
        kick();
      });
      kick();
    });
  }

  /** On the stream's event loop: writes all queued wants and responses, then one flush. */
  private void flush() {
    Channel ch;
    String proto;
    List<Entry> entries;
    List<Response> out;
    synchronized (lock) {
      flushScheduled = false;
      ch = stream;
      if (ch == null || !ch.isActive()) {
        return; // its close listener clears the stream and kicks a reopen
      }
      proto = protocol;
      entries = new ArrayList<>(wants.values());
      wants.clear();
      out = new ArrayList<>(responses);
      responses.clear();
    }
    int messages = 0;
    boolean haveSupported = Bitswap.PROTOCOL_1_2_0.equals(proto);
    for (int i = 0; i < entries.size(); i += MAX_ENTRIES_PER_MESSAGE) {
      List<Entry> chunk = entries.subList(i, Math.min(entries.size(), i + MAX_ENTRIES_PER_MESSAGE));
      ch.write(BitswapMessage.wants(haveSupported ? chunk : asWantBlocks(chunk)).encode(proto), ch.voidPromise());
      messages++;
    }
    for (Response r : out) {
      ch.write(r.message().encode(proto)).addListener(f -> r.done().accept(f.isSuccess()));
      messages++;
    }
    ch.flush();
    events.messagesSent(messages);
  }

  /**
   * 1.0.0 and 1.1.0 peers have no want-have: asking them for the block is the only question they
   * can answer (boxo drops want-haves for them instead, and then never learns they have it).
   */
  private static List<Entry> asWantBlocks(List<Entry> entries) {
    List<Entry> out = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      out.add(e.wantType() == WantType.HAVE && !e.cancel() ? new Entry(e.cid(), e.priority(), false, WantType.BLOCK, false) : e);
    }
    return out;
  }

  void close() {
    Channel ch;
    List<Response> dropped;
    synchronized (lock) {
      closed = true;
      ch = stream;
      stream = null;
      dropped = new ArrayList<>(responses);
      responses.clear();
      wants.clear();
    }
    dropped.forEach(r -> r.done().accept(false));
    if (ch != null) {
      ch.close();
    }
  }
}
