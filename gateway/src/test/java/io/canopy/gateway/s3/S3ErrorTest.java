package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class S3ErrorTest {

  /** The codes and statuses of the S3 API reference's error code list that the gateway sends. */
  private static final Map<String, Integer> REFERENCE = new LinkedHashMap<>();

  static {
    REFERENCE.put("NoSuchBucket", 404);
    REFERENCE.put("NoSuchKey", 404);
    REFERENCE.put("NoSuchUpload", 404);
    REFERENCE.put("BucketNotEmpty", 409);
    REFERENCE.put("BucketAlreadyExists", 409);
    REFERENCE.put("BucketAlreadyOwnedByYou", 409);
    REFERENCE.put("InvalidBucketName", 400);
    REFERENCE.put("SignatureDoesNotMatch", 403);
    REFERENCE.put("InvalidAccessKeyId", 403);
    REFERENCE.put("AccessDenied", 403);
    REFERENCE.put("RequestTimeTooSkewed", 403);
    REFERENCE.put("AuthorizationHeaderMalformed", 400);
    REFERENCE.put("AuthorizationQueryParametersError", 400);
    REFERENCE.put("MissingSecurityHeader", 400);
    REFERENCE.put("XAmzContentSHA256Mismatch", 400);
    REFERENCE.put("InvalidDigest", 400);
    REFERENCE.put("BadDigest", 400);
    REFERENCE.put("IncompleteBody", 400);
    REFERENCE.put("InvalidPart", 400);
    REFERENCE.put("InvalidPartOrder", 400);
    REFERENCE.put("EntityTooSmall", 400);
    REFERENCE.put("EntityTooLarge", 400);
    REFERENCE.put("KeyTooLongError", 400);
    REFERENCE.put("MetadataTooLarge", 400);
    REFERENCE.put("InvalidRange", 416);
    REFERENCE.put("InvalidPartNumber", 416);
    REFERENCE.put("PreconditionFailed", 412);
    REFERENCE.put("NotModified", 304);
    REFERENCE.put("MalformedXML", 400);
    REFERENCE.put("InvalidArgument", 400);
    REFERENCE.put("InvalidRequest", 400);
    REFERENCE.put("InvalidURI", 400);
    REFERENCE.put("MethodNotAllowed", 405);
    REFERENCE.put("NotImplemented", 501);
    REFERENCE.put("MissingContentLength", 411);
    REFERENCE.put("RequestHeaderSectionTooLarge", 400);
    REFERENCE.put("SlowDown", 503);
    REFERENCE.put("ServiceUnavailable", 503);
    REFERENCE.put("InternalError", 500);
    REFERENCE.put("RequestTimeout", 400);
    REFERENCE.put("ExpiredToken", 400);
    REFERENCE.put("MissingRequestBodyError", 400);
    REFERENCE.put("OperationAborted", 409);
  }

  @Test
  void everyCodeHasItsReferenceStatus() {
    REFERENCE.forEach((code, status) -> {
      S3Error e = S3Error.fromCode(code).orElseThrow(() -> new AssertionError("missing " + code));
      assertThat(e.code()).isEqualTo(code);
      assertThat(e.httpStatus()).as(code).isEqualTo(status);
      assertThat(e.defaultMessage()).as(code).isNotBlank();
    });
  }

  @Test
  void fromCodeIsExact() {
    for (S3Error e : S3Error.values()) {
      assertThat(S3Error.fromCode(e.code())).contains(e);
    }
    assertThat(S3Error.fromCode("nosuchkey")).isEmpty();
    assertThat(S3Error.fromCode("NoSuchThing")).isEmpty();
    assertThat(S3Error.fromCode("")).isEmpty();
    assertThat(S3Error.fromCode(null)).isEmpty();
  }

  @Test
  void onlyNotModifiedHasNoBody() {
    for (S3Error e : S3Error.values()) {
      assertThat(e.hasBody()).as(e.code()).isEqualTo(e != S3Error.NotModified);
    }
  }

  /** The example of the S3 API reference, "Error responses — REST error responses". */
  @Test
  void errorBodyMatchesTheAwsExample() {
    String aws = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<Error>"
        + "<Code>NoSuchKey</Code>"
        + "<Message>The resource you requested does not exist</Message>"
        + "<Resource>/mybucket/myfoto.jpg</Resource>"
        + "<RequestId>4442587FB7D0A2F9</RequestId>"
        + "</Error>";
    assertThat(new S3Exception(S3Error.NoSuchKey, "The resource you requested does not exist")
        .toXml("/mybucket/myfoto.jpg", "4442587FB7D0A2F9")).isEqualTo(aws);
  }

  @Test
  void defaultMessageDetailsAndNulls() {
    S3Exception e = new S3Exception(S3Error.NoSuchBucket, null, Map.of("BucketName", "photos"));
    assertThat(e.getMessage()).isEqualTo("The specified bucket does not exist");
    assertThat(e.httpStatus()).isEqualTo(404);
    assertThat(e.toXml(null, null)).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"
        + "<Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>"
        + "<BucketName>photos</BucketName></Error>");
    assertThat(new S3Exception(S3Error.SlowDown).getMessage()).isEqualTo("Please reduce your request rate.");
  }

  @Test
  void resourceAndMessageAreEscaped() throws Exception {
    String resource = "/b/<a>&\"b\"\r\n\u0007";
    String xml = new S3Exception(S3Error.InvalidArgument, "bad <value> & more").toXml(resource, "id");
    assertThat(xml).contains("<Message>bad &lt;value&gt; &amp; more</Message>");
    // Readable by an XML parser except for U+0007, which XML 1.0 cannot carry at all.
    String readable = new S3Exception(S3Error.InvalidArgument, "bad <value> & more").toXml("/b/<a>&\"b\"\r\n", "id");
    Document doc = DocumentBuilderFactory.newDefaultInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(readable.getBytes(StandardCharsets.UTF_8)));
    assertThat(doc.getElementsByTagName("Resource").item(0).getTextContent()).isEqualTo("/b/<a>&\"b\"\r\n");
    assertThat(doc.getElementsByTagName("Message").item(0).getTextContent()).isEqualTo("bad <value> & more");
  }
}
