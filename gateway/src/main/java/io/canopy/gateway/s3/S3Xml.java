package io.canopy.gateway.s3;

import io.canopy.gateway.s3.DeleteRequest.ObjectIdentifier;
import io.canopy.gateway.s3.S3Operation.ListMultipartUploads;
import io.canopy.gateway.s3.S3Operation.ListObjects;
import io.canopy.gateway.s3.S3Operation.ListObjectsV2;
import io.canopy.gateway.s3.S3Operation.ListParts;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The XML of the S3 REST API: response documents, written as the S3 API reference shows them (in
 * the namespace {@value #NAMESPACE}, timestamps with milliseconds, ETags quoted), and the request
 * documents the gateway reads (Delete, CompleteMultipartUpload, CreateBucketConfiguration), read
 * with the JDK's StAX parser with DTDs and external entities refused and a size limit.
 */
public final class S3Xml {
  public static final String NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

  /** S3's storage class; the only one this gateway has. */
  public static final String STORAGE_CLASS = "STANDARD";

  /** A Delete body: 1000 keys of up to 1024 bytes, escaped, fit with room. */
  public static final int MAX_DELETE_BODY_BYTES = 2 << 20;

  /** A CompleteMultipartUpload body: 10,000 parts with an ETag and a SHA-256 checksum each fit. */
  public static final int MAX_COMPLETE_BODY_BYTES = 2 << 20;

  /** A CreateBucketConfiguration body (a location constraint, a few tags). */
  public static final int MAX_CONFIGURATION_BODY_BYTES = 64 << 10;

  /** The most objects one DeleteObjects request may name (S3's limit). */
  public static final int MAX_DELETE_OBJECTS = 1000;

  /** The deepest element nesting accepted in a request body (ours are three deep). */
  private static final int MAX_DEPTH = 16;

  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private static final XMLInputFactory INPUT = secureInputFactory();

  private S3Xml() {}

  // ---- values -------------------------------------------------------------------------------

  /** ISO-8601 in UTC with milliseconds, as S3 writes it: {@code 2026-11-26T03:04:05.000Z}. */
  public static String timestamp(Instant instant) {
    return TIMESTAMP.format(instant);
  }

  /** The ETag as S3 sends it, in double quotes (left as is when already quoted). */
  public static String quoteEtag(String etag) {
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag : '"' + etag + '"';
  }

  /** The ETag without surrounding double quotes (and whitespace). */
  public static String unquoteEtag(String etag) {
    String e = etag.strip();
    return e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") ? e.substring(1, e.length() - 1) : e;
  }

  /**
   * A key, prefix, delimiter or marker as S3 writes it for {@code encoding-type=url}: UTF-8,
   * percent-encoded except the unreserved characters and {@code /}; a space is {@code %20}, which
   * both form decoders (the AWS SDKs, boto3's {@code unquote_plus}) and plain percent-decoders
   * read back as a space, and {@code +} is {@code %2B}.
   */
  public static String urlEncode(String s) {
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
          || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  private static String enc(String s, boolean urlEncoding) {
    return s == null || !urlEncoding ? s : urlEncode(s);
  }

  // ---- responses ----------------------------------------------------------------------------

  /** ListBuckets: {@code ListAllMyBucketsResult}. */
  public static String listAllMyBuckets(Owner owner, List<BucketSummary> buckets) {
    XmlWriter xml = new XmlWriter().startRoot("ListAllMyBucketsResult", NAMESPACE);
    owner(xml, "Owner", owner);
    xml.start("Buckets");
    for (BucketSummary b : buckets) {
      xml.start("Bucket").element("Name", b.name()).element("CreationDate", timestamp(b.created())).end();
    }
    return xml.end().end().toString();
  }

  /**
   * ListObjects (V1): {@code ListBucketResult} with Marker/NextMarker.
   *
   * @param owner written in each {@code <Contents>} when not null
   */
  public static String listObjects(ListObjects request, ObjectListing page, Owner owner) {
    boolean url = request.urlEncoding();
    XmlWriter xml = new XmlWriter().startRoot("ListBucketResult", NAMESPACE)
        .element("Name", request.bucket())
        .element("Prefix", enc(request.prefix(), url))
        .element("Marker", enc(request.marker(), url));
    if (page.truncated()) {
      xml.optional("NextMarker", enc(page.next(), url));
    }
    xml.element("MaxKeys", request.maxKeys())
        .optional("Delimiter", enc(request.delimiter(), url))
        .optional("EncodingType", url ? "url" : null)
        .element("IsTruncated", page.truncated());
    contents(xml, page, owner, url);
    return xml.end().toString();
  }

  /**
   * ListObjectsV2: {@code ListBucketResult} with KeyCount and continuation tokens (tokens are
   * never URL-encoded; S3 does not encode them).
   *
   * @param owner written in each {@code <Contents>} when the request asked for {@code fetch-owner}
   */
  public static String listObjectsV2(ListObjectsV2 request, ObjectListing page, Owner owner) {
    boolean url = request.urlEncoding();
    XmlWriter xml = new XmlWriter().startRoot("ListBucketResult", NAMESPACE)
        .element("Name", request.bucket())
        .element("Prefix", enc(request.prefix(), url))
        .optional("StartAfter", enc(request.startAfter(), url))
        .optional("ContinuationToken", request.continuationToken());
    if (page.truncated()) {
      xml.optional("NextContinuationToken", page.next());
    }
    xml.element("KeyCount", page.objects().size() + page.commonPrefixes().size())
        .element("MaxKeys", request.maxKeys())
        .optional("Delimiter", enc(request.delimiter(), url))
        .optional("EncodingType", url ? "url" : null)
        .element("IsTruncated", page.truncated());
    contents(xml, page, request.fetchOwner() ? owner : null, url);
    return xml.end().toString();
  }

  private static void contents(XmlWriter xml, ObjectListing page, Owner owner, boolean url) {
    for (ObjectSummary o : page.objects()) {
      xml.start("Contents")
          .element("Key", enc(o.key(), url))
          .element("LastModified", timestamp(o.lastModified()))
          .element("ETag", quoteEtag(o.etag()))
          .element("Size", o.size())
          .element("StorageClass", STORAGE_CLASS);
      owner(xml, "Owner", owner);
      xml.end();
    }
    commonPrefixes(xml, page.commonPrefixes(), url);
  }

  private static void commonPrefixes(XmlWriter xml, List<String> prefixes, boolean url) {
    for (String p : prefixes) {
      xml.start("CommonPrefixes").element("Prefix", enc(p, url)).end();
    }
  }

  private static void owner(XmlWriter xml, String element, Owner owner) {
    if (owner != null) {
      xml.start(element).element("ID", owner.id()).optional("DisplayName", owner.displayName()).end();
    }
  }

  /** CreateMultipartUpload: {@code InitiateMultipartUploadResult}. */
  public static String initiateMultipartUpload(String bucket, String key, String uploadId) {
    return new XmlWriter().startRoot("InitiateMultipartUploadResult", NAMESPACE)
        .element("Bucket", bucket).element("Key", key).element("UploadId", uploadId)
        .end().toString();
  }

  /**
   * CompleteMultipartUpload: {@code CompleteMultipartUploadResult}.
   *
   * @param location the object's URL
   * @param etag the multipart ETag ({@code md5-of-part-md5s-N}), quoted on the wire
   */
  public static String completeMultipartUpload(String location, String bucket, String key, String etag) {
    return new XmlWriter().startRoot("CompleteMultipartUploadResult", NAMESPACE)
        .element("Location", location).element("Bucket", bucket).element("Key", key)
        .element("ETag", quoteEtag(etag))
        .end().toString();
  }

  /** ListParts: {@code ListPartsResult}; {@code owner} is both Initiator and Owner. */
  public static String listParts(ListParts request, PartListing page, Owner owner) {
    XmlWriter xml = new XmlWriter().startRoot("ListPartsResult", NAMESPACE)
        .element("Bucket", request.bucket())
        .element("Key", request.key())
        .element("UploadId", request.uploadId());
    owner(xml, "Initiator", owner);
    owner(xml, "Owner", owner);
    xml.element("StorageClass", STORAGE_CLASS)
        .element("PartNumberMarker", request.partNumberMarker())
        .element("NextPartNumberMarker", page.nextPartNumberMarker())
        .element("MaxParts", request.maxParts())
        .element("IsTruncated", page.truncated());
    for (PartSummary p : page.parts()) {
      xml.start("Part")
          .element("PartNumber", p.partNumber())
          .element("LastModified", timestamp(p.lastModified()))
          .element("ETag", quoteEtag(p.etag()))
          .element("Size", p.size())
          .end();
    }
    return xml.end().toString();
  }

  /** ListMultipartUploads: {@code ListMultipartUploadsResult}; {@code owner} initiated every upload. */
  public static String listMultipartUploads(ListMultipartUploads request, UploadListing page, Owner owner) {
    boolean url = request.urlEncoding();
    XmlWriter xml = new XmlWriter().startRoot("ListMultipartUploadsResult", NAMESPACE)
        .element("Bucket", request.bucket())
        .element("KeyMarker", enc(request.keyMarker(), url))
        .element("UploadIdMarker", request.uploadIdMarker());
    if (page.truncated()) {
      xml.optional("NextKeyMarker", enc(page.nextKeyMarker(), url))
          .optional("NextUploadIdMarker", page.nextUploadIdMarker());
    }
    xml.optional("Delimiter", enc(request.delimiter(), url))
        .optional("Prefix", request.prefix().isEmpty() ? null : enc(request.prefix(), url))
        .optional("EncodingType", url ? "url" : null)
        .element("MaxUploads", request.maxUploads())
        .element("IsTruncated", page.truncated());
    for (UploadSummary u : page.uploads()) {
      xml.start("Upload").element("Key", enc(u.key(), url)).element("UploadId", u.uploadId());
      owner(xml, "Initiator", owner);
      owner(xml, "Owner", owner);
      xml.element("StorageClass", STORAGE_CLASS)
          .element("Initiated", timestamp(u.initiated()))
          .end();
    }
    commonPrefixes(xml, page.commonPrefixes(), url);
    return xml.end().toString();
  }

  /** CopyObject: {@code CopyObjectResult}. */
  public static String copyObjectResult(String etag, Instant lastModified) {
    return copyResult("CopyObjectResult", etag, lastModified);
  }

  /** UploadPartCopy: {@code CopyPartResult}. */
  public static String copyPartResult(String etag, Instant lastModified) {
    return copyResult("CopyPartResult", etag, lastModified);
  }

  private static String copyResult(String root, String etag, Instant lastModified) {
    return new XmlWriter().startRoot(root, NAMESPACE)
        .element("ETag", quoteEtag(etag)).element("LastModified", timestamp(lastModified))
        .end().toString();
  }

  /** DeleteObjects: {@code DeleteResult}; in quiet mode only the failures are listed. */
  public static String deleteResult(List<DeleteOutcome> outcomes, boolean quiet) {
    XmlWriter xml = new XmlWriter().startRoot("DeleteResult", NAMESPACE);
    for (DeleteOutcome outcome : outcomes) {
      if (outcome instanceof DeleteOutcome.Deleted d) {
        if (!quiet) {
          xml.start("Deleted").element("Key", d.key()).end();
        }
      } else if (outcome instanceof DeleteOutcome.Failed f) {
        xml.start("Error").element("Key", f.key()).element("Code", f.error().code())
            .element("Message", f.message()).end();
      }
    }
    return xml.end().toString();
  }

  /**
   * GetBucketLocation: {@code LocationConstraint}. S3 answers us-east-1 with an empty element,
   * which clients read as us-east-1; null or empty does the same.
   */
  public static String locationConstraint(String region) {
    StringBuilder out = new StringBuilder(XmlWriter.DECLARATION)
        .append("<LocationConstraint xmlns=\"").append(NAMESPACE).append('"');
    if (region == null || region.isEmpty() || region.equals("us-east-1")) {
      return out.append("/>").toString();
    }
    out.append('>');
    XmlWriter.escape(region, out);
    return out.append("</LocationConstraint>").toString();
  }

  /** GetBucketVersioning of a bucket never versioned: a configuration without a Status. */
  public static String unversioned() {
    return XmlWriter.DECLARATION + "<VersioningConfiguration xmlns=\"" + NAMESPACE + "\"/>";
  }

  /** GetObjectTagging of an object without tags: {@code <Tagging><TagSet/></Tagging>}. */
  public static String emptyTagging() {
    return XmlWriter.DECLARATION + "<Tagging xmlns=\"" + NAMESPACE + "\"><TagSet/></Tagging>";
  }

  // ---- request bodies -----------------------------------------------------------------------

  /**
   * The body of DeleteObjects: 1..1000 {@code <Object>} with a {@code <Key>} each, and {@code
   * <Quiet>}. Anything else — not well-formed, a DTD, too large, a missing key, too many objects —
   * is MalformedXML.
   */
  public static DeleteRequest parseDelete(byte[] body) {
    Element root = parse(body, MAX_DELETE_BODY_BYTES, "Delete");
    List<ObjectIdentifier> objects = new ArrayList<>();
    boolean quiet = false;
    for (Element child : root.children) {
      switch (child.name) {
        case "Object" -> {
          Element key = child.only("Key");
          Element version = child.only("VersionId");
          if (key == null || !key.children.isEmpty()) {
            throw malformed("Each Object needs exactly one Key");
          }
          objects.add(new ObjectIdentifier(key.text(), version == null ? null : version.text()));
          if (objects.size() > MAX_DELETE_OBJECTS) {
            throw malformed("A Delete request names at most 1000 objects");
          }
        }
        case "Quiet" -> quiet = bool(child.text().strip());
        default -> { } // unknown elements are ignored, as S3 ignores them
      }
    }
    if (objects.isEmpty()) {
      throw malformed("A Delete request names at least one object");
    }
    return new DeleteRequest(objects, quiet);
  }

  /**
   * The body of CompleteMultipartUpload: 1..10000 {@code <Part>} with {@code <PartNumber>} and
   * {@code <ETag>} (quotes removed; checksum elements are ignored). Part numbers outside
   * 1..10000 are InvalidArgument, parts not in strictly ascending order InvalidPartOrder, anything
   * unreadable MalformedXML.
   */
  public static List<CompletedPart> parseCompleteMultipartUpload(byte[] body) {
    Element root = parse(body, MAX_COMPLETE_BODY_BYTES, "CompleteMultipartUpload");
    List<CompletedPart> parts = new ArrayList<>();
    for (Element child : root.children) {
      if (!child.name.equals("Part")) {
        continue;
      }
      Element number = child.only("PartNumber");
      Element etag = child.only("ETag");
      if (number == null || etag == null) {
        throw malformed("Each Part needs one PartNumber and one ETag");
      }
      int partNumber;
      try {
        partNumber = Integer.parseInt(number.text().strip());
      } catch (NumberFormatException e) {
        throw malformed("PartNumber is not an integer");
      }
      if (partNumber < S3Request.MIN_PART_NUMBER || partNumber > S3Request.MAX_PART_NUMBER) {
        throw new S3Exception(S3Error.InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive");
      }
      if (!parts.isEmpty() && parts.get(parts.size() - 1).partNumber() >= partNumber) {
        throw new S3Exception(S3Error.InvalidPartOrder);
      }
      parts.add(new CompletedPart(partNumber, unquoteEtag(etag.text())));
    }
    if (parts.isEmpty()) {
      throw malformed("CompleteMultipartUpload needs at least one Part");
    }
    return parts;
  }

  /**
   * The optional body of CreateBucket: the {@code LocationConstraint} of a {@code
   * CreateBucketConfiguration}, empty when the body is empty or names none.
   */
  public static Optional<String> parseCreateBucketConfiguration(byte[] body) {
    if (body == null || strictUtf8(body).isBlank()) {
      return Optional.empty();
    }
    Element root = parse(body, MAX_CONFIGURATION_BODY_BYTES, "CreateBucketConfiguration");
    Element location = root.only("LocationConstraint");
    if (location == null) {
      return Optional.empty();
    }
    String region = location.text().strip();
    return region.isEmpty() ? Optional.empty() : Optional.of(region);
  }

  private static boolean bool(String text) {
    if (text.equalsIgnoreCase("true")) {
      return true;
    }
    if (text.equalsIgnoreCase("false")) {
      return false;
    }
    throw malformed("Quiet must be true or false");
  }

  private static S3Exception malformed(String why) {
    return new S3Exception(S3Error.MalformedXML,
        S3Error.MalformedXML.defaultMessage() + " (" + why + ")");
  }

  // ---- the safe reader ----------------------------------------------------------------------

  /** An element of a request body: local name, text, children. Request documents are small. */
  private static final class Element {
    final String name;
    final StringBuilder text = new StringBuilder();
    final List<Element> children = new ArrayList<>();

    Element(String name) {
      this.name = name;
    }

    String text() {
      return text.toString();
    }

    /** The one child called {@code childName}; null when absent; MalformedXML when repeated. */
    Element only(String childName) {
      Element found = null;
      for (Element c : children) {
        if (c.name.equals(childName)) {
          if (found != null) {
            throw malformed(childName + " is repeated in " + name);
          }
          found = c;
        }
      }
      return found;
    }
  }

  private static XMLInputFactory secureInputFactory() {
    // The JDK's own implementation, whatever else is on the class path, configured against XXE:
    // no DTD, no external entities, no entity replacement beyond the five predefined ones.
    XMLInputFactory f = XMLInputFactory.newDefaultFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
    f.setProperty(XMLInputFactory.IS_COALESCING, true);
    f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
    return f;
  }

  /**
   * The body as text. S3 request bodies are UTF-8; decoding here (strictly, a BOM skipped) rather
   * than in the parser makes bad bytes a plain MalformedXML, where the JDK parser would also print
   * a "[Fatal Error]" line to stderr for them.
   */
  private static String strictUtf8(byte[] body) {
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body))
          .toString();
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (CharacterCodingException e) {
      throw malformed("the body is not UTF-8");
    }
  }

  /**
   * Reads {@code body} into elements, refusing (as MalformedXML) bodies over {@code maxBytes}, any
   * DTD or entity reference, nesting deeper than {@value #MAX_DEPTH}, text outside the root, and a
   * root other than {@code rootName} (any namespace: clients send S3's or none).
   */
  private static Element parse(byte[] body, int maxBytes, String rootName) {
    if (body == null || body.length == 0) {
      throw malformed("the body is empty");
    }
    if (body.length > maxBytes) {
      throw malformed("the body is larger than " + maxBytes + " bytes");
    }
    XMLStreamReader reader = null;
    try {
      reader = INPUT.createXMLStreamReader(new StringReader(strictUtf8(body)));
      List<Element> stack = new ArrayList<>();
      Element root = null;
      while (reader.hasNext()) {
        int event = reader.next();
        switch (event) {
          case XMLStreamConstants.START_ELEMENT -> {
            if (stack.size() >= MAX_DEPTH) {
              throw malformed("elements nest too deep");
            }
            Element e = new Element(reader.getLocalName());
            if (stack.isEmpty()) {
              if (root != null) {
                throw malformed("more than one root element");
              }
              root = e;
            } else {
              stack.get(stack.size() - 1).children.add(e);
            }
            stack.add(e);
          }
          case XMLStreamConstants.END_ELEMENT -> stack.remove(stack.size() - 1);
          case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
            if (!stack.isEmpty()) {
              stack.get(stack.size() - 1).text.append(reader.getText());
            } else if (!reader.isWhiteSpace()) {
              throw malformed("text outside the root element");
            }
          }
          case XMLStreamConstants.DTD -> throw malformed("DTDs are not accepted");
          case XMLStreamConstants.ENTITY_REFERENCE, XMLStreamConstants.ENTITY_DECLARATION,
              XMLStreamConstants.NOTATION_DECLARATION -> throw malformed("entities are not accepted");
          default -> { } // comments, processing instructions, document start and end
        }
      }
      if (root == null) {
        throw malformed("no root element");
      }
      if (!root.name.equals(rootName)) {
        throw malformed("the root element must be " + rootName + ", not " + root.name);
      }
      return root;
    } catch (XMLStreamException | RuntimeException e) {
      if (e instanceof S3Exception s3) {
        throw s3;
      }
      // Not well-formed (also: an undeclared entity, invalid characters, bad encoding).
      throw malformed("not well-formed");
    } finally {
      if (reader != null) {
        try {
          reader.close();
        } catch (XMLStreamException ignored) {
          // nothing was held but the byte array
        }
      }
    }
  }
}
