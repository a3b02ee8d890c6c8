package io.canopy.cli.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The multipart reader against bodies as kubo-rpc-client and curl frame them, and against broken ones. */
class MultipartReaderTest {
  static final String BOUNDARY = "-----------------------------abc123";

  static byte[] body(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static MultipartReader reader(byte[] body) {
    return new MultipartReader(new ByteArrayInputStream(body), BOUNDARY, MultipartReader.Limits.DEFAULT);
  }

  record Read(String name, String filename, String type, byte[] content) {}

  static List<Read> readAll(MultipartReader r) throws IOException {
    List<Read> out = new ArrayList<>();
    for (Optional<MultipartReader.Part> p = r.next(); p.isPresent(); p = r.next()) {
      MultipartReader.Part part = p.get();
      out.add(new Read(part.name(), part.filename(), part.contentType(), part.content().readAllBytes()));
    }
    return out;
  }

  @Test
  void readsPartsFramedAsKuboRpcClientDoes() throws IOException {
    String text = "--" + BOUNDARY + "\r\n"
        + "Content-Disposition: form-data; name=\"dir\"; filename=\"d\"\r\n"
        + "Content-Type: application/x-directory\r\n\r\n"
        + "\r\n--" + BOUNDARY + "\r\n"
        + "Content-Disposition: form-data; name=\"file-1\"; filename=\"d%2Fa.txt\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n"
        + "hello\r\n--not the boundary\r\n"
        + "\r\n--" + BOUNDARY + "--\r\n";
    List<Read> parts = readAll(reader(body(text)));
    assertThat(parts).extracting(Read::name).containsExactly("dir", "file-1");
    assertThat(parts).extracting(Read::filename).containsExactly("d", "d%2Fa.txt");
    assertThat(parts).extracting(Read::type).containsExactly("application/x-directory", "application/octet-stream");
    assertThat(parts.get(0).content()).isEmpty();
    assertThat(new String(parts.get(1).content(), StandardCharsets.UTF_8)).isEqualTo("hello\r\n--not the boundary\r\n");
  }

  @Test
  void streamsLargeContentByteExactWithAPreambleAndPadding() throws IOException {
    byte[] content = new byte[1_000_003];
    new Random(3).nextBytes(content);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(body("preamble to ignore\r\n--" + BOUNDARY + "  \r\nContent-Disposition: form-data; name=file\r\n\r\n"));
    b.writeBytes(content);
    b.writeBytes(body("\r\n--" + BOUNDARY + "--"));
    MultipartReader r = reader(b.toByteArray());
    MultipartReader.Part part = r.next().orElseThrow();
    assertThat(part.name()).isEqualTo("file");
    assertThat(part.filename()).isNull();
    // read in odd-sized pieces, the way an importer's chunker does
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = part.content();
    byte[] piece = new byte[7777];
    for (int n; (n = in.read(piece)) >= 0; ) {
      got.write(piece, 0, n);
    }
    assertThat(got.toByteArray()).isEqualTo(content);
    assertThat(r.next()).isEmpty();
  }

  @Test
  void nextSkipsAnUnreadPart() throws IOException {
    String text = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nskipped"
        + "\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nread"
        + "\r\n--" + BOUNDARY + "--\r\n";
    MultipartReader r = reader(body(text));
    assertThat(r.next().orElseThrow().name()).isEqualTo("a");
    MultipartReader.Part b = r.next().orElseThrow();
    assertThat(new String(b.content().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("read");
    assertThat(r.next()).isEmpty();
  }

  @Test
  void boundaryComesFromTheContentType() {
    assertThat(MultipartReader.boundary("multipart/form-data; boundary=xyz")).isEqualTo("xyz");
    assertThat(MultipartReader.boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"")).isEqualTo("a b");
    assertThatThrownBy(() -> MultipartReader.boundary("multipart/form-data"))
        .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.error()).isEqualTo(RpcError.BAD_REQUEST))
        .hasMessageContaining("no boundary");
    assertThatThrownBy(() -> MultipartReader.boundary("multipart/form-data; boundary="))
        .isInstanceOf(RpcException.class).hasMessageContaining("no boundary");
    assertThatThrownBy(() -> MultipartReader.boundary("application/json"))
        .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.error()).isEqualTo(RpcError.UNSUPPORTED_MEDIA_TYPE));
    assertThatThrownBy(() -> MultipartReader.boundary(null)).isInstanceOf(RpcException.class);
  }

  @Test
  void aContentTypeOfOnlySemicolonsIsAnUnsupportedType() {
    // was an ArrayIndexOutOfBoundsException (a 500) for ";" (crash input of CliDecodersFuzzTest)
    for (String type : new String[] {";", ";;", " ; "}) {
      assertThatThrownBy(() -> MultipartReader.boundary(type))
          .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.error()).isEqualTo(RpcError.UNSUPPORTED_MEDIA_TYPE));
    }
  }

  @Test
  void aBodyWithoutItsBoundaryIsRefused() {
    assertThatThrownBy(() -> readAll(reader(body("just some bytes, no framing at all"))))
        .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.error()).isEqualTo(RpcError.BAD_REQUEST))
        .hasMessageContaining("no boundary line");
  }

  @Test
  void aTruncatedBodyIsRefusedNotTakenAsAShortFile() {
    String cutInContent = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhalf a fi";
    assertThatThrownBy(() -> readAll(reader(body(cutInContent))))
        .isInstanceOf(RpcException.class).hasMessageContaining("ends inside part 1");
    String cutInHeaders = "--" + BOUNDARY + "\r\nContent-Disposition: form-da";
    assertThatThrownBy(() -> readAll(reader(body(cutInHeaders))))
        .isInstanceOf(RpcException.class).hasMessageContaining("ends in part 1's headers");
    String cutAfterDelimiter = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--" + BOUNDARY;
    assertThatThrownBy(() -> readAll(reader(body(cutAfterDelimiter))))
        .isInstanceOf(RpcException.class).hasMessageContaining("close delimiter");
  }

  @Test
  void hugeOrManyHeadersAreRefused() {
    MultipartReader.Limits limits = new MultipartReader.Limits(1024, 4, 10);
    String huge = "--" + BOUNDARY + "\r\nX-Big: " + "a".repeat(5000) + "\r\n\r\nx\r\n--" + BOUNDARY + "--";
    assertThatThrownBy(() -> readAll(new MultipartReader(new ByteArrayInputStream(body(huge)), BOUNDARY, limits)))
        .isInstanceOf(RpcException.class).hasMessageContaining("over 1024 bytes");
    String endless = "--" + BOUNDARY + "\r\n" + "X-Line: y\r\n".repeat(200) + "\r\nx\r\n--" + BOUNDARY + "--";
    assertThatThrownBy(() -> readAll(new MultipartReader(new ByteArrayInputStream(body(endless)), BOUNDARY, limits)))
        .isInstanceOf(RpcException.class).hasMessageContaining("more than 4 headers");
    String noColon = "--" + BOUNDARY + "\r\nnot a header\r\n\r\nx\r\n--" + BOUNDARY + "--";
    assertThatThrownBy(() -> readAll(new MultipartReader(new ByteArrayInputStream(body(noColon)), BOUNDARY, limits)))
        .isInstanceOf(RpcException.class).hasMessageContaining("without a name");
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 11; i++) {
      many.append("--").append(BOUNDARY).append("\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n");
    }
    many.append("--").append(BOUNDARY).append("--");
    assertThatThrownBy(() -> readAll(new MultipartReader(new ByteArrayInputStream(body(many.toString())), BOUNDARY, limits)))
        .isInstanceOf(RpcException.class).hasMessageContaining("more than 10 parts");
  }

  @Test
  void aBoundaryLineWithTrailingGarbageIsRefused() {
    String text = "--" + BOUNDARY + "garbage\r\n\r\nx\r\n--" + BOUNDARY + "--";
    assertThatThrownBy(() -> readAll(reader(body(text))))
        .isInstanceOf(RpcException.class).hasMessageContaining("continues past the boundary");
  }

  @Test
  void dispositionParametersHandleQuotesAndEscapes() {
    assertThat(MultipartReader.dispositionParams("form-data; name=\"file\"; filename=\"a \\\"q\\\";b.txt\""))
        .containsEntry("name", "file").containsEntry("filename", "a \"q\";b.txt");
    assertThat(MultipartReader.dispositionParams("form-data; name=plain")).containsEntry("name", "plain");
    assertThatThrownBy(() -> MultipartReader.dispositionParams("form-data; name=\"open"))
        .isInstanceOf(RpcException.class).hasMessageContaining("unterminated");
  }
}
