package io.canopy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.cli.rpc.ApiEndpoint;
import io.canopy.cli.rpc.RpcClient;
import io.canopy.cli.rpc.RpcClient.Query;
import io.canopy.cli.rpc.RpcException;
import io.canopy.content.block.Block;
import io.canopy.content.block.Blockstore;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.pin.Pin;
import io.canopy.content.pin.PinType;
import io.canopy.multiformats.Cid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The node reached through the API of the daemon running on the home ({@link DaemonRoutes} is
 * the other side). Errors come back as the daemon's one-line message, so a command prints the
 * same "Error: …" line either way.
 */
final class HttpNodeApi implements NodeApi {
  private final RpcClient client;

  private HttpNodeApi(RpcClient client) {
    this.client = client;
  }

  /**
   * The daemon running on {@code home}, if its api file names an API that accepts connections; a
   * file left by a killed daemon names a port nobody listens on, and gives empty.
   */
  static Optional<HttpNodeApi> ifRunning(Home home) throws IOException {
    Optional<ApiEndpoint> endpoint = ApiEndpoint.read(home.apiFile());
    if (endpoint.isEmpty()) {
      return Optional.empty();
    }
    RpcClient client = new RpcClient(endpoint.get());
    return client.reachable() ? Optional.of(new HttpNodeApi(client)) : Optional.empty();
  }

  @Override
  public BlockImport importBlocks(ImportKind kind) {
    return new RemoteImport(kind.route);
  }

  private final class RemoteImport implements BlockImport {
    private final String command;
    private RpcClient.Upload upload;
    private OutputStream body;

    RemoteImport(String command) {
      this.command = command;
    }

    private OutputStream body() throws IOException {
      if (upload == null) {
        upload = client.upload(command, new Query(), BlockStream.CONTENT_TYPE);
        body = upload.body();
      }
      return body;
    }

    @Override
    public synchronized void put(Block block) throws IOException {
      try {
        BlockStream.writeBlock(body(), block);
      } catch (IOException e) {
        throw stoppedReading(e);
      }
    }

    @Override
    public synchronized PinResult finish(List<Cid> roots) throws IOException {
      try {
        BlockStream.writeEnd(body(), roots);
      } catch (IOException e) {
        throw stoppedReading(e);
      }
      JsonNode answer = upload.finish();
      List<Cid> pinned = new ArrayList<>();
      answer.path("Pinned").forEach(c -> pinned.add(Cid.parse(c.asText())));
      JsonNode failed = answer.path("PinFailed");
      if (failed.isObject()) {
        return new PinResult(pinned, Cid.parse(failed.path("Root").asText()), failed.path("Message").asText());
      }
      return PinResult.of(pinned);
    }

    /** The daemon stopped reading: it has already answered with the reason, if it could. */
    private IOException stoppedReading(IOException e) {
      try {
        upload.finish();
      } catch (RpcException answered) {
        throw answered;
      } catch (IOException | RuntimeException ignored) {
        // no answer to read
      }
      return new IOException("the daemon at " + client.endpoint() + " stopped reading the " + command
          + " upload (" + e.getMessage() + "); its log says why", e);
    }

    @Override
    public synchronized void close() {
      if (upload != null) {
        upload.close();
      }
    }
  }

  @Override
  public void cat(List<String> paths, long offset, long length, OutputStream out) throws IOException {
    Query q = new Query();
    paths.forEach(q::arg);
    q.option("offset", offset).option("length", length < 0 ? null : length);
    client.download("cat", q, out);
  }

  @Override
  public Exporter exporter() {
    return new Exporter(new DaemonBlocks());
  }

  /** The daemon's blocks, read one by one (for get); missing ones it fetches from peers. */
  private final class DaemonBlocks implements Blockstore {
    @Override
    public byte[] get(Cid cid) throws IOException {
      return blockGet(cid);
    }

    @Override
    public boolean has(Cid cid) throws IOException {
      try {
        blockSize(cid);
        return true;
      } catch (RpcException e) {
        return false;
      }
    }

    @Override
    public long size(Cid cid) throws IOException {
      return blockSize(cid);
    }

    @Override
    public void put(Block block) {
      throw new UnsupportedOperationException("read-only view of the daemon's blocks");
    }

    @Override
    public void delete(Cid cid) {
      throw new UnsupportedOperationException("read-only view of the daemon's blocks");
    }

    @Override
    public Stream<Cid> keys() {
      throw new UnsupportedOperationException("read-only view of the daemon's blocks");
    }
  }

  @Override
  public Cid pinAdd(String path, boolean recursive) throws IOException {
    JsonNode r = client.call("pin/add", Query.of(path).option("recursive", recursive));
    return Cid.parse(r.path("Pins").path(0).asText());
  }

  @Override
  public Cid pinRm(String path) throws IOException {
    JsonNode r = client.call("pin/rm", Query.of(path));
    return Cid.parse(r.path("Pins").path(0).asText());
  }

  @Override
  public List<Pin> pinLs(PinType type) throws IOException {
    return pins(client.call("pin/ls", new Query().option("type", name(type))));
  }

  @Override
  public Pin pinLs(String path, PinType type) throws IOException {
    return pins(client.call("pin/ls", Query.of(path).option("type", name(type)))).get(0);
  }

  private static List<Pin> pins(JsonNode answer) {
    List<Pin> out = new ArrayList<>();
    answer.path("Keys").fields().forEachRemaining(e -> out.add(new Pin(
        Cid.parse(e.getKey()), PinType.valueOf(e.getValue().path("Type").asText().toUpperCase(Locale.ROOT)))));
    return out;
  }

  static String name(PinType type) {
    return type.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public byte[] blockGet(Cid cid) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client.download("block/get", Query.of(cid.toString()), out);
    byte[] data = out.toByteArray();
    new Block(cid, data).verify(); // the daemon checked it; a block from the wire is checked again
    return data;
  }

  @Override
  public long blockSize(Cid cid) throws IOException {
    return client.call("block/stat", Query.of(cid.toString())).path("Size").asLong();
  }

  @Override
  public void blockRm(Cid cid) throws IOException {
    client.call("block/rm", Query.of(cid.toString()));
  }

  @Override
  public void dagExport(Cid root, OutputStream out) throws IOException {
    client.download("dag/export", Query.of(root.toString()), out);
  }

  @Override
  public List<Cid> repoGc() throws IOException {
    List<Cid> removed = new ArrayList<>();
    client.call("repo/gc", new Query()).path("Removed").forEach(c -> removed.add(Cid.parse(c.asText())));
    return removed;
  }

  @Override
  public Map<String, Object> id() throws IOException {
    Map<String, Object> id = new LinkedHashMap<>();
    client.call("id", new Query()).fields().forEachRemaining(e -> id.put(e.getKey(), e.getValue()));
    return id;
  }

  @Override
  public String swarmConnect(String multiaddr) throws IOException {
    JsonNode r = client.call("swarm/connect", Query.of(multiaddr));
    String line = r.path("Strings").path(0).asText(); // Kubo's "connect <peer ID> success"
    String[] words = line.split(" ");
    return words.length == 3 ? words[1] : line;
  }

  @Override
  public List<String> swarmPeers() throws IOException {
    List<String> out = new ArrayList<>();
    client.call("swarm/peers", new Query()).path("Peers").forEach(
        p -> out.add(p.path("Addr").asText() + "/p2p/" + p.path("Peer").asText()));
    return out;
  }

  /** A route that only a daemon serves (deals), answered as JSON. */
  JsonNode call(String command, Query query) throws IOException {
    return client.call(command, query);
  }

  @Override
  public void close() {
    // one HTTP request per call: nothing held open between them
  }
}
