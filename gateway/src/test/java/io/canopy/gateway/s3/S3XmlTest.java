package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.gateway.s3.DeleteRequest.ObjectIdentifier;
import io.canopy.gateway.s3.S3Operation.ListMultipartUploads;
import io.canopy.gateway.s3.S3Operation.ListObjects;
import io.canopy.gateway.s3.S3Operation.ListObjectsV2;
import io.canopy.gateway.s3.S3Operation.ListParts;
import io.canopy.testing.RandomInputs;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * Response documents against the examples of the S3 API reference (transcribed; the examples are
 * pretty-printed, so whitespace between tags is removed before comparing, and empty elements are
 * compared in their short form {@code <X/>}), and the request-body readers.
 */
class S3XmlTest {
  private static final String DECL = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  private static final String NS = "http://s3.amazonaws.com/doc/2006-03-01/";

  /** An AWS example as our compact form: no whitespace between tags, {@code <X></X>} as {@code <X/>}. */
  private static String compact(String pretty) {
    return DECL + pretty.strip().replaceAll(">\\s+<", "><").replaceAll("<(\\w+)></\\1>", "<$1/>");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static S3Error errorOf(Runnable r) {
    try {
      r.run();
    } catch (S3Exception e) {
      return e.error();
    }
    throw new AssertionError("no S3Exception");
  }

  // ---- values -------------------------------------------------------------------------------

  @Test
  void timestampsAreUtcWithMilliseconds() {
    assertThat(S3Xml.timestamp(Instant.parse("2026-11-26T03:04:05Z"))).isEqualTo("2026-11-26T03:04:05.000Z");
    assertThat(S3Xml.timestamp(Instant.parse("2009-10-12T17:50:30.123456789Z"))).isEqualTo("2009-10-12T17:50:30.123Z");
    assertThat(S3Xml.timestamp(Instant.EPOCH)).isEqualTo("1970-01-01T00:00:00.000Z");
  }

  @Test
  void etagsAreQuotedOnce() {
    assertThat(S3Xml.quoteEtag("fba9dede5f27731c9771645a39863328")).isEqualTo("\"fba9dede5f27731c9771645a39863328\"");
    assertThat(S3Xml.quoteEtag("\"abc-2\"")).isEqualTo("\"abc-2\"");
    assertThat(S3Xml.unquoteEtag(" \"abc\" ")).isEqualTo("abc");
    assertThat(S3Xml.unquoteEtag("abc")).isEqualTo("abc");
  }

  @Test
  void urlEncodingKeepsUnreservedAndSlash() {
    assertThat(S3Xml.urlEncode("photos/2006/a b+c&d=e%f\u00fc\u0001~_.-"))
        .isEqualTo("photos/2006/a%20b%2Bc%26d%3De%25f%C3%BC%01~_.-");
    assertThat(S3Xml.urlEncode("\ud83d\ude00")).isEqualTo("%F0%9F%98%80");
  }

  // ---- responses: AWS examples --------------------------------------------------------------

  /** ListObjectsV2, "Example 2: Listing keys using the max-keys and start-after parameters". */
  @Test
  void listObjectsV2StartAfterExample() {
    String aws = """
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Name>bucket</Name>
          <Prefix></Prefix>
          <StartAfter>ExampleGuide.pdf</StartAfter>
          <KeyCount>1</KeyCount>
          <MaxKeys>3</MaxKeys>
          <IsTruncated>false</IsTruncated>
          <Contents>
            <Key>ExampleObject.txt</Key>
            <LastModified>2013-09-17T18:07:53.000Z</LastModified>
            <ETag>"599bab3ed2c697f1d26842727561fd94"</ETag>
            <Size>857</Size>
            <StorageClass>STANDARD</StorageClass>
          </Contents>
        </ListBucketResult>""";
    var request = new ListObjectsV2("bucket", "", null, null, "ExampleGuide.pdf", 3, false, false);
    var page = new ObjectListing(List.of(new ObjectSummary("ExampleObject.txt",
        Instant.parse("2013-09-17T18:07:53Z"), "599bab3ed2c697f1d26842727561fd94", 857)), List.of(), false, null);
    assertThat(S3Xml.listObjectsV2(request, page, null)).isEqualTo(compact(aws));
  }

  /** ListObjectsV2, "Example 3: Listing keys using the prefix and delimiter parameters". */
  @Test
  void listObjectsV2DelimiterExample() {
    String aws = """
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Name>example-bucket</Name>
          <Prefix></Prefix>
          <KeyCount>2</KeyCount>
          <MaxKeys>1000</MaxKeys>
          <Delimiter>/</Delimiter>
          <IsTruncated>false</IsTruncated>
          <Contents>
            <Key>sample.jpg</Key>
            <LastModified>2011-02-26T01:56:20.000Z</LastModified>
            <ETag>"bf1d737a4d46a19f3bced6905cc8b902"</ETag>
            <Size>142863</Size>
            <StorageClass>STANDARD</StorageClass>
          </Contents>
          <CommonPrefixes>
            <Prefix>photos/</Prefix>
          </CommonPrefixes>
        </ListBucketResult>""";
    var request = new ListObjectsV2("example-bucket", "", "/", null, null, 1000, false, false);
    var page = new ObjectListing(List.of(new ObjectSummary("sample.jpg", Instant.parse("2011-02-26T01:56:20Z"),
        "\"bf1d737a4d46a19f3bced6905cc8b902\"", 142863)), List.of("photos/"), false, null);
    assertThat(S3Xml.listObjectsV2(request, page, null)).isEqualTo(compact(aws));
  }

  /** ListObjectsV2, "Example 4: Using a continuation token" (both pages, one key shown each). */
  @Test
  void listObjectsV2ContinuationExample() {
    String token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=";
    String first = """
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Name>bucket</Name>
          <Prefix></Prefix>
          <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
          <KeyCount>1</KeyCount>
          <MaxKeys>1</MaxKeys>
          <IsTruncated>true</IsTruncated>
          <Contents>
            <Key>happyface.jpg</Key>
            <LastModified>2014-11-21T19:40:05.000Z</LastModified>
            <ETag>"70ee1738b6b21e2c8a43f3a5ab0eee71"</ETag>
            <Size>11</Size>
            <StorageClass>STANDARD</StorageClass>
          </Contents>
        </ListBucketResult>""";
    var contents = List.of(new ObjectSummary("happyface.jpg", Instant.parse("2014-11-21T19:40:05Z"),
        "70ee1738b6b21e2c8a43f3a5ab0eee71", 11));
    assertThat(S3Xml.listObjectsV2(new ListObjectsV2("bucket", "", null, null, null, 1, false, false),
        new ObjectListing(contents, List.of(), true, token), null)).isEqualTo(compact(first));
    String second = """
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Name>bucket</Name>
          <Prefix></Prefix>
          <ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>
          <KeyCount>1</KeyCount>
          <MaxKeys>1000</MaxKeys>
          <IsTruncated>false</IsTruncated>
          <Contents>
            <Key>happyface.jpg</Key>
            <LastModified>2014-11-21T19:40:05.000Z</LastModified>
            <ETag>"70ee1738b6b21e2c8a43f3a5ab0eee71"</ETag>
            <Size>11</Size>
            <StorageClass>STANDARD</StorageClass>
          </Contents>
        </ListBucketResult>""";
    assertThat(S3Xml.listObjectsV2(new ListObjectsV2("bucket", "", null, token, null, 1000, false, false),
        new ObjectListing(contents, List.of(), false, null), null)).isEqualTo(compact(second));
  }

  /** ListObjects (V1), the reference's first example (its ETag is written with {@code &quot;}). */
  @Test
  void listObjectsV1Example() {
    String aws = """
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
            <Name>bucket</Name>
            <Prefix/>
            <Marker/>
            <MaxKeys>1000</MaxKeys>
            <IsTruncated>false</IsTruncated>
            <Contents>
                <Key>my-image.jpg</Key>
                <LastModified>2009-10-12T17:50:30.000Z</LastModified>
                <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
                <Size>434234</Size>
                <StorageClass>STANDARD</StorageClass>
                <Owner>
                    <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
                    <DisplayName>mtd@amazon.com</DisplayName>
                </Owner>
            </Contents>
        </ListBucketResult>""".replace("&quot;", "\"");
    var owner = new Owner("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "mtd@amazon.com");
    var page = new ObjectListing(List.of(new ObjectSummary("my-image.jpg", Instant.parse("2009-10-12T17:50:30Z"),
        "fba9dede5f27731c9771645a39863328", 434234)), List.of(), false, null);
    assertThat(S3Xml.listObjects(new ListObjects("bucket", "", null, null, 1000, false), page, owner))
        .isEqualTo(compact(aws));
  }

  @Test
  void listObjectsV1TruncatedWithDelimiter() {
    var page = new ObjectListing(List.of(), List.of("photos/2006/feb/", "photos/2006/jan/"), true, "photos/2006/jan/");
    assertThat(S3Xml.listObjects(new ListObjects("example-bucket", "photos/2006/", "/", null, 2, false), page, null))
        .isEqualTo(DECL + "<ListBucketResult xmlns=\"" + NS + "\"><Name>example-bucket</Name>"
            + "<Prefix>photos/2006/</Prefix><Marker/><NextMarker>photos/2006/jan/</NextMarker>"
            + "<MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
            + "<CommonPrefixes><Prefix>photos/2006/feb/</Prefix></CommonPrefixes>"
            + "<CommonPrefixes><Prefix>photos/2006/jan/</Prefix></CommonPrefixes></ListBucketResult>");
  }

  @Test
  void encodingTypeUrlEncodesKeysPrefixesDelimiterAndMarkers() {
    String odd = "dir one/a+b&\u0001\u00fc";
    var v2 = new ListObjectsV2("b", "dir one/", " ", "tok+en/=", "dir one/0", 10, true, true);
    var page = new ObjectListing(List.of(new ObjectSummary(odd, Instant.EPOCH, "e", 1)),
        List.of("dir one/x y "), true, "next+token=");
    assertThat(S3Xml.listObjectsV2(v2, page, new Owner("id", null))).isEqualTo(DECL
        + "<ListBucketResult xmlns=\"" + NS + "\"><Name>b</Name><Prefix>dir%20one/</Prefix>"
        + "<StartAfter>dir%20one/0</StartAfter><ContinuationToken>tok+en/=</ContinuationToken>"
        + "<NextContinuationToken>next+token=</NextContinuationToken><KeyCount>2</KeyCount><MaxKeys>10</MaxKeys>"
        + "<Delimiter>%20</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
        + "<Contents><Key>dir%20one/a%2Bb%26%01%C3%BC</Key><LastModified>1970-01-01T00:00:00.000Z</LastModified>"
        + "<ETag>\"e\"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass><Owner><ID>id</ID></Owner></Contents>"
        + "<CommonPrefixes><Prefix>dir%20one/x%20y%20</Prefix></CommonPrefixes></ListBucketResult>");
    var v1 = new ListObjects("b", "p q", null, "m n", 1, true);
    assertThat(S3Xml.listObjects(v1, new ObjectListing(List.of(), List.of(), true, "n o"), null))
        .contains("<Prefix>p%20q</Prefix><Marker>m%20n</Marker><NextMarker>n%20o</NextMarker>")
        .contains("<EncodingType>url</EncodingType>");
    // Without encoding-type the same key is escaped for XML only.
    var plain = new ListObjectsV2("b", "", null, null, null, 10, false, false);
    assertThat(S3Xml.listObjectsV2(plain, page, null)).contains("<Key>dir one/a+b&amp;&#x1;\u00fc</Key>");
  }

  @Test
  void ownerOnlyWithFetchOwner() {
    var page = new ObjectListing(List.of(new ObjectSummary("k", Instant.EPOCH, "e", 0)), List.of(), false, null);
    Owner owner = new Owner("acct", "name");
    assertThat(S3Xml.listObjectsV2(new ListObjectsV2("b", "", null, null, null, 1, false, false), page, owner))
        .doesNotContain("<Owner>");
    assertThat(S3Xml.listObjectsV2(new ListObjectsV2("b", "", null, null, null, 1, true, false), page, owner))
        .contains("<Owner><ID>acct</ID><DisplayName>name</DisplayName></Owner>");
  }

  /** ListBuckets, the reference's example (of API version 2006-03-01). */
  @Test
  void listAllMyBucketsExample() {
    String aws = """
        <ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Owner>
            <ID>bcaf1ffd86f461ca5fb16fd081034f</ID>
            <DisplayName>webfile</DisplayName>
          </Owner>
          <Buckets>
            <Bucket>
              <Name>quotes</Name>
              <CreationDate>2006-02-03T16:45:09.000Z</CreationDate>
            </Bucket>
            <Bucket>
              <Name>samples</Name>
              <CreationDate>2006-02-03T16:41:58.000Z</CreationDate>
            </Bucket>
          </Buckets>
        </ListAllMyBucketsResult>""";
    assertThat(S3Xml.listAllMyBuckets(new Owner("bcaf1ffd86f461ca5fb16fd081034f", "webfile"), List.of(
        new BucketSummary("quotes", Instant.parse("2006-02-03T16:45:09Z")),
        new BucketSummary("samples", Instant.parse("2006-02-03T16:41:58Z"))))).isEqualTo(compact(aws));
    assertThat(S3Xml.listAllMyBuckets(new Owner("id", null), List.of()))
        .isEqualTo(DECL + "<ListAllMyBucketsResult xmlns=\"" + NS + "\"><Owner><ID>id</ID></Owner>"
            + "<Buckets></Buckets></ListAllMyBucketsResult>");
  }

  /** CreateMultipartUpload, the reference's example. */
  @Test
  void initiateMultipartUploadExample() {
    String aws = """
        <InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Bucket>example-bucket</Bucket>
          <Key>example-object</Key>
          <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
        </InitiateMultipartUploadResult>""";
    assertThat(S3Xml.initiateMultipartUpload("example-bucket", "example-object",
        "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA")).isEqualTo(compact(aws));
  }

  /** CompleteMultipartUpload, the reference's example (with its region placeholder filled in). */
  @Test
  void completeMultipartUploadExample() {
    String aws = """
        <CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Location>http://Example-Bucket.s3.us-east-1.amazonaws.com/Example-Object</Location>
          <Bucket>Example-Bucket</Bucket>
          <Key>Example-Object</Key>
          <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
        </CompleteMultipartUploadResult>""";
    assertThat(S3Xml.completeMultipartUpload("http://Example-Bucket.s3.us-east-1.amazonaws.com/Example-Object",
        "Example-Bucket", "Example-Object", "3858f62230ac3c915f300c664312c11f-9")).isEqualTo(compact(aws));
  }

  /** ListParts, the reference's example (its Initiator is the owner here: one account does both). */
  @Test
  void listPartsExample() {
    String aws = """
        <ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Bucket>example-bucket</Bucket>
          <Key>example-object</Key>
          <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
          <Initiator>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>someName</DisplayName>
          </Initiator>
          <Owner>
            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
            <DisplayName>someName</DisplayName>
          </Owner>
          <StorageClass>STANDARD</StorageClass>
          <PartNumberMarker>1</PartNumberMarker>
          <NextPartNumberMarker>3</NextPartNumberMarker>
          <MaxParts>2</MaxParts>
          <IsTruncated>true</IsTruncated>
          <Part>
            <PartNumber>2</PartNumber>
            <LastModified>2010-11-10T20:48:34.000Z</LastModified>
            <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag>
            <Size>10485760</Size>
          </Part>
          <Part>
            <PartNumber>3</PartNumber>
            <LastModified>2010-11-10T20:48:33.000Z</LastModified>
            <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag>
            <Size>10485760</Size>
          </Part>
        </ListPartsResult>""";
    var request = new ListParts("example-bucket", "example-object",
        "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA", 2, 1);
    var page = new PartListing(List.of(
        new PartSummary(2, Instant.parse("2010-11-10T20:48:34Z"), "7778aef83f66abc1fa1e8477f296d394", 10485760),
        new PartSummary(3, Instant.parse("2010-11-10T20:48:33Z"), "aaaa18db4cc2f85cedef654fccc4a4x8", 10485760)),
        true, 3);
    assertThat(S3Xml.listParts(request, page,
        new Owner("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "someName")))
        .isEqualTo(compact(aws));
  }

  /** ListMultipartUploads, the reference's first example (one of its uploads; Initiator = Owner). */
  @Test
  void listMultipartUploadsExample() {
    String aws = """
        <ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Bucket>bucket</Bucket>
          <KeyMarker></KeyMarker>
          <UploadIdMarker></UploadIdMarker>
          <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
          <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
          <MaxUploads>3</MaxUploads>
          <IsTruncated>true</IsTruncated>
          <Upload>
            <Key>my-divisor</Key>
            <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
            <Initiator>
              <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
              <DisplayName>OwnerDisplayName</DisplayName>
            </Initiator>
            <Owner>
              <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
              <DisplayName>OwnerDisplayName</DisplayName>
            </Owner>
            <StorageClass>STANDARD</StorageClass>
            <Initiated>2010-11-10T20:48:33.000Z</Initiated>
          </Upload>
        </ListMultipartUploadsResult>""";
    var request = new ListMultipartUploads("bucket", "", null, null, null, 3, false);
    var page = new UploadListing(List.of(new UploadSummary("my-divisor",
        "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw", Instant.parse("2010-11-10T20:48:33Z"))),
        List.of(), true, "my-movie.m2ts", "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
    assertThat(S3Xml.listMultipartUploads(request, page,
        new Owner("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "OwnerDisplayName")))
        .isEqualTo(compact(aws));
  }

  @Test
  void listMultipartUploadsWithPrefixDelimiterAndEncoding() {
    var request = new ListMultipartUploads("b", "photos/2006 ", "/", "photos/2006 /a", "u1", 1000, true);
    var page = new UploadListing(List.of(), List.of("photos/2006 /feb/"), false, null, null);
    assertThat(S3Xml.listMultipartUploads(request, page, null)).isEqualTo(DECL
        + "<ListMultipartUploadsResult xmlns=\"" + NS + "\"><Bucket>b</Bucket>"
        + "<KeyMarker>photos/2006%20/a</KeyMarker><UploadIdMarker>u1</UploadIdMarker>"
        + "<Delimiter>/</Delimiter><Prefix>photos/2006%20</Prefix><EncodingType>url</EncodingType>"
        + "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
        + "<CommonPrefixes><Prefix>photos/2006%20/feb/</Prefix></CommonPrefixes></ListMultipartUploadsResult>");
  }

  /** CopyObject and UploadPartCopy, the reference's examples (with the namespace S3 sends). */
  @Test
  void copyResultsExamples() {
    assertThat(S3Xml.copyObjectResult("9b2cf535f27731c974343645a3985328", Instant.parse("2009-10-28T22:32:00Z")))
        .isEqualTo(compact("""
            <CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <ETag>"9b2cf535f27731c974343645a3985328"</ETag>
              <LastModified>2009-10-28T22:32:00.000Z</LastModified>
            </CopyObjectResult>"""));
    assertThat(S3Xml.copyPartResult("\"b20b4ac4ed8d8d4f1d4b6a7c0eae2a4c\"", Instant.parse("2011-04-11T20:34:56Z")))
        .isEqualTo(compact("""
            <CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <ETag>"b20b4ac4ed8d8d4f1d4b6a7c0eae2a4c"</ETag>
              <LastModified>2011-04-11T20:34:56.000Z</LastModified>
            </CopyPartResult>"""));
  }

  /** DeleteObjects, the reference's example: one key deleted, one refused. */
  @Test
  void deleteResultExample() {
    String aws = """
        <DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Deleted>
            <Key>sample1.txt</Key>
          </Deleted>
          <Error>
            <Key>sample2.txt</Key>
            <Code>AccessDenied</Code>
            <Message>Access Denied</Message>
          </Error>
        </DeleteResult>""";
    List<DeleteOutcome> outcomes = List.of(new DeleteOutcome.Deleted("sample1.txt"),
        new DeleteOutcome.Failed("sample2.txt", S3Error.AccessDenied, null));
    assertThat(S3Xml.deleteResult(outcomes, false)).isEqualTo(compact(aws));
    // Quiet: only the failures.
    assertThat(S3Xml.deleteResult(outcomes, true)).isEqualTo(DECL + "<DeleteResult xmlns=\"" + NS + "\">"
        + "<Error><Key>sample2.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        + "</DeleteResult>");
    assertThat(S3Xml.deleteResult(List.of(new DeleteOutcome.Deleted("a")), true))
        .isEqualTo(DECL + "<DeleteResult xmlns=\"" + NS + "\"></DeleteResult>");
  }

  /** GetBucketLocation, the reference's example; us-east-1 is the empty constraint. */
  @Test
  void locationConstraintExample() {
    assertThat(S3Xml.locationConstraint("Europe"))
        .isEqualTo(DECL + "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">Europe</LocationConstraint>");
    assertThat(S3Xml.locationConstraint("us-east-1")).isEqualTo(DECL + "<LocationConstraint xmlns=\"" + NS + "\"/>");
    assertThat(S3Xml.locationConstraint(null)).isEqualTo(DECL + "<LocationConstraint xmlns=\"" + NS + "\"/>");
  }

  /** Whatever a key holds, an XML parser reads back exactly that key (where XML 1.0 can carry it). */
  @Test
  void keysWithMarkupCharactersReadBackExactly() {
    RandomInputs.forAll(0x584d4cL, 300, List.of("<&>\"'", "\r\n", "\t", "]]>", "a\rb", "\ud83d\ude00"),
        S3XmlTest::xmlCarriableString, RandomInputs::describe, key -> {
          var page = new ObjectListing(List.of(new ObjectSummary(key, Instant.EPOCH, "e", 0)), List.of(key), false, null);
          String xml = S3Xml.listObjectsV2(new ListObjectsV2("b", key, null, null, null, 1, false, false), page, null);
          Document doc = DocumentBuilderFactory.newDefaultInstance().newDocumentBuilder()
              .parse(new ByteArrayInputStream(utf8(xml)));
          assertThat(doc.getElementsByTagName("Key").item(0).getTextContent()).isEqualTo(key);
          NodeList prefixes = doc.getElementsByTagName("Prefix");
          for (int i = 0; i < prefixes.getLength(); i++) {
            assertThat(prefixes.item(i).getTextContent()).isEqualTo(key);
          }
        });
  }

  /** A string of characters XML 1.0 can carry, markup characters and CR among them. */
  private static String xmlCarriableString(SplittableRandom random) {
    StringBuilder sb = new StringBuilder();
    int n = 1 + random.nextInt(30);
    for (int i = 0; i < n; i++) {
      switch (random.nextInt(5)) {
        case 0 -> sb.append(RandomInputs.oneOf(random, "<", ">", "&", "\"", "'", "\r", "\n", "\t", "]]>", "&amp;"));
        case 1 -> sb.appendCodePoint(0x10000 + random.nextInt(0xFFFF));
        default -> {
          char c = (char) (0x20 + random.nextInt(0xD7FF - 0x20));
          sb.append(c);
        }
      }
    }
    return sb.toString();
  }

  // ---- request bodies -----------------------------------------------------------------------

  /** DeleteObjects, the reference's sample request (with Quiet). */
  @Test
  void parsesTheAwsDeleteExample() {
    String aws = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Quiet>true</Quiet>
          <Object>
            <Key>sample1.txt</Key>
          </Object>
          <Object>
            <Key>sample2.txt</Key>
            <VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>
          </Object>
        </Delete>""";
    assertThat(S3Xml.parseDelete(utf8(aws))).isEqualTo(new DeleteRequest(List.of(
        new ObjectIdentifier("sample1.txt", null),
        new ObjectIdentifier("sample2.txt", "OYcLXagmS.WaD..oyH4KRguB95_YhLs7")), true));
    // No namespace, no declaration, Quiet absent: still a Delete.
    assertThat(S3Xml.parseDelete(utf8("<Delete><Object><Key> a b </Key></Object></Delete>")))
        .isEqualTo(new DeleteRequest(List.of(new ObjectIdentifier(" a b ", null)), false));
  }

  @Test
  void deleteRoundTripsAnyKeys() {
    RandomInputs.forAll(0xde1e7eL, 200, List.of(List.of("<&>"), List.of(" ", "\r\n")),
        random -> RandomInputs.listOf(random, 1, 50, S3XmlTest::xmlCarriableString),
        List::toString, keys -> {
          StringBuilder body = new StringBuilder("<Delete xmlns=\"" + NS + "\"><Quiet>false</Quiet>");
          for (String k : keys) {
            body.append("<Object><Key>");
            XmlWriter.escape(k, body);
            body.append("</Key></Object>");
          }
          body.append("</Delete>");
          DeleteRequest parsed = S3Xml.parseDelete(utf8(body.toString()));
          assertThat(parsed.objects()).extracting(ObjectIdentifier::key).isEqualTo(keys);
          assertThat(parsed.quiet()).isFalse();
        });
  }

  @Test
  void deleteLimitsAndShape() {
    StringBuilder thousand = new StringBuilder("<Delete>");
    for (int i = 0; i < 1000; i++) {
      thousand.append("<Object><Key>k").append(i).append("</Key></Object>");
    }
    assertThat(S3Xml.parseDelete(utf8(thousand + "</Delete>")).objects()).hasSize(1000);
    assertThat(errorOf(() -> S3Xml.parseDelete(utf8(thousand + "<Object><Key>x</Key></Object></Delete>"))))
        .isEqualTo(S3Error.MalformedXML);
    for (String bad : List.of("<Delete></Delete>", "<Delete><Quiet>true</Quiet></Delete>",
        "<Delete><Object></Object></Delete>", "<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
        "<Delete><Quiet>yes</Quiet><Object><Key>a</Key></Object></Delete>",
        "<Remove><Object><Key>a</Key></Object></Remove>",
        "<Delete><Object><Key>a</Key></Object>", "<Delete><Object><Key>a</Key></Object></Delete><Delete/>",
        "<Delete><Object><Key>a</Key></Object></Delete>trailing", "not xml at all", "", "   ")) {
      assertThat(errorOf(() -> S3Xml.parseDelete(utf8(bad)))).as(bad).isEqualTo(S3Error.MalformedXML);
    }
    assertThat(errorOf(() -> S3Xml.parseDelete(null))).isEqualTo(S3Error.MalformedXML);
  }

  /** CompleteMultipartUpload, the reference's sample request. */
  @Test
  void parsesTheAwsCompleteMultipartUploadExample() {
    String aws = """
        <CompleteMultipartUpload>
          <Part>
            <PartNumber>1</PartNumber>
            <ETag>"a54357aff0632cce46d942af68356b38"</ETag>
          </Part>
          <Part>
            <PartNumber>2</PartNumber>
            <ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag>
          </Part>
          <Part>
            <PartNumber>3</PartNumber>
            <ETag>"acbd18db4cc2f85cedef654fccc4a4d8"</ETag>
          </Part>
        </CompleteMultipartUpload>""";
    assertThat(S3Xml.parseCompleteMultipartUpload(utf8(aws))).containsExactly(
        new CompletedPart(1, "a54357aff0632cce46d942af68356b38"),
        new CompletedPart(2, "0c78aef83f66abc1fa1e8477f296d394"),
        new CompletedPart(3, "acbd18db4cc2f85cedef654fccc4a4d8"));
    // Namespaced, escaped quotes, unquoted ETags, checksum elements (ignored), ETag before PartNumber.
    String sdk = "<CompleteMultipartUpload xmlns=\"" + NS + "\"><Part><ETag>&quot;x&quot;</ETag>"
        + "<ChecksumCRC32>AAAAAA==</ChecksumCRC32><PartNumber>1</PartNumber></Part>"
        + "<Part><PartNumber> 10000 </PartNumber><ETag>y</ETag></Part></CompleteMultipartUpload>";
    assertThat(S3Xml.parseCompleteMultipartUpload(utf8(sdk)))
        .containsExactly(new CompletedPart(1, "x"), new CompletedPart(10000, "y"));
  }

  @Test
  void completeMultipartUploadRoundTripsAndChecksOrder() {
    RandomInputs.forAll(0xc0413L, 200, List.of(List.of(1), List.of(10000), List.of(1, 2, 3)),
        random -> {
          List<Integer> numbers = new ArrayList<>();
          int next = 1 + random.nextInt(5);
          int count = 1 + random.nextInt(100);
          for (int i = 0; i < count && next <= 10000; i++) {
            numbers.add(next);
            next += 1 + random.nextInt(200);
          }
          return numbers;
        },
        List::toString, numbers -> {
          StringBuilder body = new StringBuilder("<CompleteMultipartUpload>");
          for (int n : numbers) {
            body.append("<Part><PartNumber>").append(n).append("</PartNumber><ETag>\"etag").append(n)
                .append("\"</ETag></Part>");
          }
          body.append("</CompleteMultipartUpload>");
          List<CompletedPart> parts = S3Xml.parseCompleteMultipartUpload(utf8(body.toString()));
          assertThat(parts).extracting(CompletedPart::partNumber).isEqualTo(numbers);
          assertThat(parts).allSatisfy(p -> assertThat(p.etag()).isEqualTo("etag" + p.partNumber()));
        });
  }

  @Test
  void completeMultipartUploadErrors() {
    String p1 = "<Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>";
    String p2 = "<Part><PartNumber>2</PartNumber><ETag>b</ETag></Part>";
    assertThat(errorOf(() -> S3Xml.parseCompleteMultipartUpload(utf8("<CompleteMultipartUpload>" + p2 + p1
        + "</CompleteMultipartUpload>")))).isEqualTo(S3Error.InvalidPartOrder);
    assertThat(errorOf(() -> S3Xml.parseCompleteMultipartUpload(utf8("<CompleteMultipartUpload>" + p1 + p1
        + "</CompleteMultipartUpload>")))).isEqualTo(S3Error.InvalidPartOrder);
    for (String n : List.of("0", "10001", "-1")) {
      assertThat(errorOf(() -> S3Xml.parseCompleteMultipartUpload(utf8("<CompleteMultipartUpload><Part><PartNumber>"
          + n + "</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>")))).as(n).isEqualTo(S3Error.InvalidArgument);
    }
    for (String bad : List.of("<CompleteMultipartUpload/>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>99999999999</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>",
        "<Delete>" + p1 + "</Delete>", "<CompleteMultipartUpload>" + p1)) {
      assertThat(errorOf(() -> S3Xml.parseCompleteMultipartUpload(utf8(bad)))).as(bad).isEqualTo(S3Error.MalformedXML);
    }
  }

  /** CreateBucket, the reference's sample request body; an empty body is no configuration. */
  @Test
  void parsesCreateBucketConfiguration() {
    assertThat(S3Xml.parseCreateBucketConfiguration(utf8("""
        <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <LocationConstraint>Europe</LocationConstraint>
        </CreateBucketConfiguration>"""))).contains("Europe");
    assertThat(S3Xml.parseCreateBucketConfiguration(new byte[0])).isEmpty();
    assertThat(S3Xml.parseCreateBucketConfiguration(null)).isEmpty();
    assertThat(S3Xml.parseCreateBucketConfiguration(utf8(" \n"))).isEmpty();
    assertThat(S3Xml.parseCreateBucketConfiguration(utf8("<CreateBucketConfiguration/>"))).isEqualTo(Optional.empty());
    assertThat(S3Xml.parseCreateBucketConfiguration(
        utf8("<CreateBucketConfiguration><LocationConstraint></LocationConstraint></CreateBucketConfiguration>")))
        .isEmpty();
    assertThat(errorOf(() -> S3Xml.parseCreateBucketConfiguration(utf8("<CreateBucketConfiguration>"))))
        .isEqualTo(S3Error.MalformedXML);
    assertThat(errorOf(() -> S3Xml.parseCreateBucketConfiguration(utf8("<Other/>")))).isEqualTo(S3Error.MalformedXML);
  }

  // ---- hostile bodies -----------------------------------------------------------------------

  @Test
  void externalEntitiesAreRefused() {
    String xxe = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE Delete [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
        <Delete><Object><Key>&xxe;</Key></Object></Delete>""";
    assertThat(errorOf(() -> S3Xml.parseDelete(utf8(xxe)))).isEqualTo(S3Error.MalformedXML);
    String parameterEntity = """
        <?xml version="1.0"?>
        <!DOCTYPE Delete [<!ENTITY % remote SYSTEM "file:///etc/passwd"> %remote;]>
        <Delete><Object><Key>a</Key></Object></Delete>""";
    assertThat(errorOf(() -> S3Xml.parseDelete(utf8(parameterEntity)))).isEqualTo(S3Error.MalformedXML);
  }

  @Test
  void externalDtdsAreNeverFetched() throws Exception {
    try (ServerSocket trap = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      trap.setSoTimeout(300);
      String url = "http://127.0.0.1:" + trap.getLocalPort() + "/evil.dtd";
      for (String body : List.of(
          "<?xml version=\"1.0\"?><!DOCTYPE Delete SYSTEM \"" + url + "\"><Delete><Object><Key>a</Key></Object></Delete>",
          "<?xml version=\"1.0\"?><!DOCTYPE Delete [<!ENTITY e SYSTEM \"" + url + "\">]><Delete><Object><Key>&e;</Key></Object></Delete>",
          "<CompleteMultipartUpload xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"" + url
              + "\"/><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>")) {
        try {
          S3Xml.parseDelete(utf8(body));
        } catch (S3Exception e) {
          assertThat(e.error()).isEqualTo(S3Error.MalformedXML);
        }
        try {
          S3Xml.parseCompleteMultipartUpload(utf8(body));
        } catch (S3Exception e) {
          assertThat(e.error()).isIn(S3Error.MalformedXML);
        }
      }
      assertThatThrownBy(trap::accept).as("no connection to the DTD's URL").isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void billionLaughsIsRefusedQuickly() {
    String lol = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
         <!ENTITY lol "lol">
         <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
         <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
         <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
         <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
         <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
         <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
         <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
         <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
         <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
        ]>
        <Delete><Object><Key>&lol9;</Key></Object></Delete>""";
    long start = System.nanoTime();
    assertThat(errorOf(() -> S3Xml.parseDelete(utf8(lol)))).isEqualTo(S3Error.MalformedXML);
    assertThat(errorOf(() -> S3Xml.parseCompleteMultipartUpload(utf8(lol.replace("Delete", "CompleteMultipartUpload")))))
        .isEqualTo(S3Error.MalformedXML);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void undeclaredEntitiesAreMalformedButPredefinedOnesAndCharacterReferencesRead() {
    assertThat(errorOf(() -> S3Xml.parseDelete(utf8("<Delete><Object><Key>&nbsp;</Key></Object></Delete>"))))
        .isEqualTo(S3Error.MalformedXML);
    assertThat(S3Xml.parseDelete(utf8("<Delete><Object><Key>&lt;&amp;&gt;&quot;&apos;&#x41;&#66;</Key></Object></Delete>"))
        .objects().get(0).key()).isEqualTo("<&>\"'AB");
    assertThat(S3Xml.parseDelete(utf8("<Delete><Object><Key><![CDATA[<raw & text>]]></Key></Object></Delete>"))
        .objects().get(0).key()).isEqualTo("<raw & text>");
  }

  @ParameterizedTest
  @ValueSource(ints = {S3Xml.MAX_DELETE_BODY_BYTES + 1, 8 << 20})
  void oversizedBodiesAreRefused(int size) {
    byte[] body = new byte[size];
    byte[] head = utf8("<Delete><Object><Key>a</Key></Object>");
    byte[] tail = utf8("</Delete>");
    java.util.Arrays.fill(body, (byte) ' ');
    System.arraycopy(head, 0, body, 0, head.length);
    System.arraycopy(tail, 0, body, size - tail.length, tail.length);
    assertThat(errorOf(() -> S3Xml.parseDelete(body))).isEqualTo(S3Error.MalformedXML);
    assertThat(errorOf(() -> S3Xml.parseCompleteMultipartUpload(body))).isEqualTo(S3Error.MalformedXML);
    byte[] config = new byte[S3Xml.MAX_CONFIGURATION_BODY_BYTES + 1];
    java.util.Arrays.fill(config, (byte) ' ');
    byte[] root = utf8("<CreateBucketConfiguration/>");
    System.arraycopy(root, 0, config, 0, root.length);
    assertThat(errorOf(() -> S3Xml.parseCreateBucketConfiguration(config))).isEqualTo(S3Error.MalformedXML);
  }

  @Test
  void theLargestLegitimateBodiesFit() {
    // 1000 keys of 1024 bytes.
    StringBuilder delete = new StringBuilder("<Delete xmlns=\"" + NS + "\"><Quiet>true</Quiet>");
    for (int i = 0; i < 1000; i++) {
      delete.append("<Object><Key>").append(String.format("%04d", i)).append("k".repeat(1020)).append("</Key></Object>");
    }
    assertThat(S3Xml.parseDelete(utf8(delete.append("</Delete>").toString())).objects()).hasSize(1000);
    // 10,000 parts with an ETag and a SHA-256 checksum each.
    StringBuilder complete = new StringBuilder("<CompleteMultipartUpload xmlns=\"" + NS + "\">");
    for (int i = 1; i <= 10000; i++) {
      complete.append("<Part><ChecksumSHA256>").append("A".repeat(43)).append("=</ChecksumSHA256><ETag>\"")
          .append("0123456789abcdef".repeat(2)).append("\"</ETag><PartNumber>").append(i).append("</PartNumber></Part>");
    }
    assertThat(S3Xml.parseCompleteMultipartUpload(utf8(complete.append("</CompleteMultipartUpload>").toString())))
        .hasSize(10000);
  }

  @Test
  void deepNestingIsRefused() {
    String deep = "<Delete>" + "<a>".repeat(100) + "</a>".repeat(100) + "<Object><Key>k</Key></Object></Delete>";
    assertThat(errorOf(() -> S3Xml.parseDelete(utf8(deep)))).isEqualTo(S3Error.MalformedXML);
  }

  @Test
  void bodiesAreUtf8() {
    byte[] utf8 = utf8("\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Object><Key>caf\u00e9 \u65e5</Key></Object></Delete>");
    assertThat(S3Xml.parseDelete(utf8).objects().get(0).key()).isEqualTo("caf\u00e9 \u65e5");
    byte[] latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Delete><Object><Key>caf\u00e9</Key></Object></Delete>"
        .getBytes(StandardCharsets.ISO_8859_1);
    assertThat(errorOf(() -> S3Xml.parseDelete(latin1))).isEqualTo(S3Error.MalformedXML);
    byte[] badUtf8 = {'<', 'D', 'e', 'l', 'e', 't', 'e', '>', (byte) 0xC3, '<', '/', 'D', 'e', 'l', 'e', 't', 'e', '>'};
    assertThat(errorOf(() -> S3Xml.parseDelete(badUtf8))).isEqualTo(S3Error.MalformedXML);
    assertThat(errorOf(() -> S3Xml.parseCreateBucketConfiguration(badUtf8))).isEqualTo(S3Error.MalformedXML);
  }
}
