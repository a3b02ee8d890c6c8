package io.canopy.content.car;

import io.canopy.content.block.Block;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import io.canopy.multiformats.Varint;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads a CARv1 stream one section at a time, so a CAR of any size is read in the memory of one
 * block. Every length read from the stream is checked against a limit before anything is allocated.
 * It does not check that blocks match their CIDs; {@link CarImporter} does.
 *
 * <p>Sections are numbered from 1 in error messages; the header is not a section.
 */
public final class CarReader {
  /** Headers are a few dozen bytes per root; 1 MiB leaves room for thousands of roots. */
  public static final int DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;
  /** A block at the block size limit plus room for its CID. */
  public static final int DEFAULT_MAX_SECTION_BYTES = Block.MAX_SIZE + 1024;

  private final InputStream in;
  private final int maxSectionBytes;
  private final List<Cid> roots;
  private long sectionsRead;

  private CarReader(InputStream in, int maxSectionBytes, List<Cid> roots) {
    this.in = in;
    this.maxSectionBytes = maxSectionBytes;
    this.roots = roots;
  }

  /** Reads the header with the default limits. */
  public static CarReader open(InputStream in) throws IOException {
    return open(in, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_SECTION_BYTES);
  }

  /** Reads the header; the stream is consumed by this reader from here on. */
  public static CarReader open(InputStream in, int maxHeaderBytes, int maxSectionBytes) throws IOException {
    // Varints are read a byte at a time: buffer so that costs a method call, not a system call.
    InputStream buffered = in instanceof BufferedInputStream ? in : new BufferedInputStream(in);
    long length;
    try {
      length = Varint.read(buffered);
    } catch (EOFException e) {
      throw new CarFormatException("truncated CAR: the header length is cut off", e);
    } catch (IOException e) {
      throw new CarFormatException("bad CAR header: its length prefix is not a valid varint: " + e.getMessage(), e);
    }
    if (length < 0) {
      throw new CarFormatException("not a CAR: the stream is empty");
    }
    if (length == 0) {
      throw new CarFormatException("bad CAR header: length 0");
    }
    if (length > maxHeaderBytes) {
      throw new CarFormatException("bad CAR header: length " + length + " exceeds the limit of " + maxHeaderBytes + " bytes");
    }
    byte[] header = buffered.readNBytes((int) length);
    if (header.length < length) {
      throw new CarFormatException("truncated CAR: the header ends after " + header.length + " of " + length + " bytes");
    }
    return new CarReader(buffered, maxSectionBytes, CarHeader.decode(header).roots());
  }

  public List<Cid> roots() {
    return roots;
  }

  /** How many sections have been read so far (the number of the last one returned). */
  public long sectionsRead() {
    return sectionsRead;
  }

  /** The next block, or empty at the end of the CAR. */
  public Optional<Block> next() throws IOException {
    long section = sectionsRead + 1;
    long length;
    try {
      length = Varint.read(in);
    } catch (EOFException e) {
      throw new CarFormatException("truncated CAR: the length of section " + section + " is cut off", e);
    } catch (IOException e) {
      throw new CarFormatException("bad CAR: the length of section " + section + " is not a valid varint: " + e.getMessage(), e);
    }
    if (length < 0) {
      return Optional.empty(); // clean end: the stream ended exactly between sections
    }
    if (length == 0) {
      throw new CarFormatException("bad CAR: section " + section + " is empty (no CID)");
    }
    if (length > maxSectionBytes) {
      throw new CarFormatException("bad CAR: section " + section + " is " + length + " bytes, over the limit of " + maxSectionBytes);
    }
    byte[] bytes = in.readNBytes((int) length);
    if (bytes.length < length) {
      throw new CarFormatException("truncated CAR: section " + section + " ends after " + bytes.length + " of " + length + " bytes");
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    Cid cid;
    try {
      cid = Cid.read(buffer);
    } catch (InvalidCidException e) {
      throw new CarFormatException("bad CAR: section " + section + " does not start with a valid CID: " + e.getMessage(), e);
    }
    sectionsRead = section;
    return Optional.of(new Block(cid, Arrays.copyOfRange(bytes, buffer.position(), bytes.length)));
  }
}
