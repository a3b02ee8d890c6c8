package io.canopy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.cli.rpc.RpcError;
import io.canopy.cli.rpc.RpcException;
import io.canopy.content.block.Block;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.multiformats.Varint;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The body of the daemon's import routes ({@code add}, {@code block/put}, {@code dag/import}),
 * content type {@value #CONTENT_TYPE}:
 *
 * <pre>
 * section*            one per block, as in a CARv1: varint(len(cid) + len(data)) cid data
 * varint 0            end of the blocks
 * trailer             JSON {"Roots": ["CID", …]}: what to pin once the blocks are in, then EOF
 * </pre>
 *
 * <p>Why blocks and not files (Kubo's add takes a multipart form of files): the command builds the
 * DAG with the same {@link io.canopy.content.importer.Importer} call as offline, where the files
 * are, so CIDs, output, progress bar and options that read the file system ({@code -H},
 * {@code --preserve-mode}) cannot differ between the two paths, and the body streams with the
 * memory of one block on each side. The daemon checks every block against its CID, as for a CAR.
 * A stream that ends before its end marker is an abandoned import: what arrived stays, unpinned.
 */
final class BlockStream {
  static final String CONTENT_TYPE = "application/vnd.canopy.block-stream";
  static final int MAX_SECTION_BYTES = Block.MAX_SIZE + 1024;
  static final int MAX_TRAILER_BYTES = 4 * 1024 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private BlockStream() {}

  /** Appends one block's section. */
  static void writeBlock(OutputStream out, Block block) throws IOException {
    byte[] cid = block.cid().toBytes();
    out.write(Varint.encode((long) cid.length + block.data().length));
    out.write(cid);
    out.write(block.data());
  }

  /** Ends the blocks and names the roots to pin. */
  static void writeEnd(OutputStream out, List<Cid> roots) throws IOException {
    out.write(Varint.encode(0));
    Map<String, Object> trailer = new LinkedHashMap<>();
    trailer.put("Roots", roots.stream().map(Cid::toString).toList());
    out.write(JSON.writeValueAsBytes(trailer));
  }

  /** Reads a stream; malformed input is a 400 naming the section at fault. */
  static final class Reader {
    private final InputStream in;
    private long sections;
    private boolean ended;

    Reader(InputStream in) {
      this.in = new BufferedInputStream(in, 1 << 16);
    }

    /** The next block, checked against its CID; empty at the end marker. */
    Optional<Block> next() throws IOException {
      if (ended) {
        return Optional.empty();
      }
      long section = sections + 1;
      long length;
      try {
        length = Varint.read(in);
      } catch (EOFException e) {
        throw bad("the stream broke off in the length of section " + section);
      } catch (IOException e) {
        throw bad("section " + section + " has no valid length: " + e.getMessage());
      }
      if (length < 0) {
        throw bad("the stream ended after " + sections + " blocks without its end marker (import abandoned)");
      }
      if (length == 0) {
        ended = true;
        return Optional.empty();
      }
      if (length > MAX_SECTION_BYTES) {
        throw bad("section " + section + " is " + length + " bytes, over the limit of " + MAX_SECTION_BYTES);
      }
      byte[] bytes = in.readNBytes((int) length);
      if (bytes.length < length) {
        throw bad("the stream broke off in section " + section);
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      Cid cid;
      try {
        cid = Cid.read(buffer);
      } catch (InvalidCidException e) {
        throw bad("section " + section + " does not start with a valid CID: " + e.getMessage());
      }
      long hash = cid.multihash().code();
      if (!Multicodec.byCode(hash).map(Multihash::isSupported).orElse(false)) {
        throw bad("block " + cid + " (section " + section + ") uses hash function " + Multicodec.describe(hash)
            + ", which Canopy cannot verify");
      }
      Block block = new Block(cid, Arrays.copyOfRange(bytes, buffer.position(), bytes.length));
      if (!block.isValid()) {
        throw bad("block " + cid + " (section " + section + ") does not match its hash");
      }
      sections = section;
      return Optional.of(block);
    }

    long blocks() {
      return sections;
    }

    /** The roots named by the trailer; call after {@link #next} returned empty. */
    List<Cid> roots() throws IOException {
      byte[] bytes = in.readNBytes(MAX_TRAILER_BYTES + 1);
      if (bytes.length > MAX_TRAILER_BYTES) {
        throw new RpcException(RpcError.PAYLOAD_TOO_LARGE, "block stream trailer is over " + MAX_TRAILER_BYTES + " bytes");
      }
      JsonNode trailer;
      try {
        trailer = JSON.readTree(bytes);
      } catch (IOException e) {
        throw bad("the trailer is not JSON: " + e.getMessage());
      }
      if (trailer == null || !trailer.path("Roots").isArray()) {
        throw bad("the trailer has no \"Roots\" array");
      }
      List<Cid> roots = new ArrayList<>();
      for (JsonNode r : trailer.get("Roots")) {
        try {
          roots.add(Cid.parse(r.asText()));
        } catch (IllegalArgumentException e) {
          throw bad("the trailer names an invalid root '" + r.asText() + "': " + e.getMessage());
        }
      }
      return roots;
    }

    private static RpcException bad(String why) {
      return RpcException.badRequest("bad block stream: " + why);
    }
  }
}
