package io.canopy.gateway.s3.auth;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Verifies AWS Signature Version 4 on S3 requests (S3 API Reference, "Authenticating Requests
 * (AWS Signature Version 4)"):
 *
 * <ul>
 *   <li>in the {@code Authorization} header ({@code AWS4-HMAC-SHA256 Credential=AKID/date/region/
 *       s3/aws4_request, SignedHeaders=..., Signature=...}), with the request time within the
 *       allowed clock skew;
 *   <li>in a presigned query string ({@code X-Amz-Algorithm}, {@code X-Amz-Credential}, {@code
 *       X-Amz-Date}, {@code X-Amz-Expires} of at most seven days, {@code X-Amz-SignedHeaders},
 *       {@code X-Amz-Signature}), until it expires.
 * </ul>
 *
 * <p>Everything a signature covers cannot be changed without failing: method, path, every query
 * parameter, the signed headers, the time, the scope, the payload hash. Besides, every {@code
 * x-amz-*} header must be signed, so nobody can add, say, {@code x-amz-copy-source} to a presigned
 * PUT. The body is checked later, as it is read, through {@link AuthResult#verifiedBody}.
 *
 * <p>Thread-safe; one instance serves all requests.
 */
public final class SigV4Verifier {
  static final String X_AMZ_ALGORITHM = "X-Amz-Algorithm";
  static final String X_AMZ_CREDENTIAL = "X-Amz-Credential";
  static final String X_AMZ_DATE = "X-Amz-Date";
  static final String X_AMZ_EXPIRES = "X-Amz-Expires";
  static final String X_AMZ_SIGNED_HEADERS = "X-Amz-SignedHeaders";
  static final String X_AMZ_SIGNATURE = "X-Amz-Signature";
  static final String X_AMZ_CONTENT_SHA256_PARAM = "X-Amz-Content-Sha256";
  private static final List<String> PRESIGN_PARAMS = List.of(
      X_AMZ_ALGORITHM, X_AMZ_CREDENTIAL, X_AMZ_DATE, X_AMZ_EXPIRES, X_AMZ_SIGNED_HEADERS, X_AMZ_SIGNATURE);

  static final String CONTENT_SHA256 = "x-amz-content-sha256";
  static final String DECODED_CONTENT_LENGTH = "x-amz-decoded-content-length";
  static final String TRAILER = "x-amz-trailer";

  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'", Locale.ROOT).withResolverStyle(ResolverStyle.STRICT);

  private final CredentialStore credentials;
  private final S3AuthConfig config;

  public SigV4Verifier(CredentialStore credentials, S3AuthConfig config) {
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    this.config = Objects.requireNonNull(config, "config");
  }

  /**
   * Checks the signature of {@code request}.
   *
   * @return the signer and how to read the body
   * @throws S3AuthException with the S3 error code when the request is not properly signed
   */
  public AuthResult verify(RequestHead request) throws S3AuthException {
    List<SigV4.QueryParam> query = SigV4.parseQuery(request.rawQuery());
    String authorization = request.header("authorization");
    boolean presigned = hasParam(query, X_AMZ_ALGORITHM) || hasParam(query, X_AMZ_SIGNATURE)
        || hasParam(query, X_AMZ_CREDENTIAL);
    if (authorization != null && presigned) {
      throw new S3AuthException(S3AuthException.INVALID_ARGUMENT,
          "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string"
              + " parameter or the Authorization header should be specified");
    }
    if (authorization != null) {
      return verifyHeader(request, authorization, query);
    }
    if (presigned) {
      return verifyPresigned(request, query);
    }
    if (hasParam(query, "Signature") || hasParam(query, "AWSAccessKeyId")) {
      throw unsupportedMechanism();
    }
    throw new S3AuthException(S3AuthException.ACCESS_DENIED, "Access Denied: the request is not signed.");
  }

  // ---- Authorization header ---------------------------------------------------------------

  private AuthResult verifyHeader(RequestHead request, String authorization, List<SigV4.QueryParam> query)
      throws S3AuthException {
    String malformed = S3AuthException.AUTHORIZATION_HEADER_MALFORMED;
    String value = authorization.trim();
    int space = indexOfWhitespace(value);
    String scheme = space < 0 ? value : value.substring(0, space);
    if (!scheme.equals(SigV4.ALGORITHM)) {
      if (scheme.equals("AWS") || scheme.startsWith("AWS4-")) {
        throw unsupportedMechanism();
      }
      throw new S3AuthException(S3AuthException.INVALID_ARGUMENT, "Unsupported Authorization Type");
    }
    Map<String, String> fields = new HashMap<>();
    for (String part : value.substring(space + 1).split(",", -1)) {
      String field = part.trim();
      int eq = field.indexOf('=');
      if (eq <= 0 || fields.put(field.substring(0, eq).trim(), field.substring(eq + 1).trim()) != null) {
        throw new S3AuthException(malformed,
            "The authorization header is malformed; the authorization component \"" + field + "\" is malformed.");
      }
    }
    for (String required : List.of("Credential", "SignedHeaders", "Signature")) {
      if (!fields.containsKey(required)) {
        throw new S3AuthException(malformed, "The authorization header is malformed; it lacks " + required + ".");
      }
    }
    Scope scope = parseCredential(fields.get("Credential"), malformed);
    List<String> signedHeaders = parseSignedHeaders(fields.get("SignedHeaders"), malformed);

    String amzDate = requestTime(request);
    Instant requestTime = parseAmzDate(amzDate);
    checkScope(scope, amzDate, malformed);
    Instant now = config.clock().instant();
    if (Duration.between(requestTime, now).abs().compareTo(config.maxClockSkew()) > 0) {
      throw new S3AuthException(S3AuthException.REQUEST_TIME_TOO_SKEWED,
          "The difference between the request time and the server's time is too large.",
          SigV4.details("RequestTime", amzDate, "ServerTime", now.toString(),
              "MaxAllowedSkewMilliseconds", Long.toString(config.maxClockSkew().toMillis())));
    }
    checkAmzHeadersSigned(request, signedHeaders, Set.of());

    String payloadHash = request.header(CONTENT_SHA256);
    if (payloadHash == null) {
      throw new S3AuthException(S3AuthException.INVALID_REQUEST,
          "Missing required header for this request: x-amz-content-sha256");
    }
    PayloadMode mode = payloadMode(payloadHash);
    BodyDeclaration body = bodyDeclaration(request, mode);

    Credential credential = lookUp(scope.accessKeyId());
    byte[] signingKey = SigV4.signingKey(credential.secretAccessKey(), scope.date(), scope.region(), scope.service());
    String signature = checkSignature(request, query, null, signedHeaders, payloadHash, amzDate, scope,
        signingKey, fields.get("Signature"));
    return result(credential, mode, payloadHash, body,
        new StreamingPayload.ChunkSigningSeed(signingKey, amzDate, scope.toString(), signature));
  }

  /** x-amz-date, or else Date (RFC 1123) in SigV4's basic format. */
  private static String requestTime(RequestHead request) throws S3AuthException {
    String amzDate = request.header("x-amz-date");
    if (amzDate != null) {
      return amzDate.trim();
    }
    String date = request.header("date");
    if (date != null) {
      try {
        return AMZ_DATE.format(ZonedDateTime.parse(date.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
            .withZoneSameInstant(ZoneOffset.UTC).toLocalDateTime());
      } catch (DateTimeParseException e) {
        // falls through to the error below
      }
    }
    throw new S3AuthException(S3AuthException.ACCESS_DENIED,
        "AWS authentication requires a valid Date or x-amz-date header");
  }

  private static Instant parseAmzDate(String amzDate) throws S3AuthException {
    try {
      return LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new S3AuthException(S3AuthException.ACCESS_DENIED,
          "AWS authentication requires a valid Date or x-amz-date header");
    }
  }

  private static PayloadMode payloadMode(String payloadHash) throws S3AuthException {
    PayloadMode mode = PayloadMode.ofLiteral(payloadHash);
    if (mode != null) {
      return mode;
    }
    if (SigV4.isLowerHex(payloadHash.toLowerCase(Locale.ROOT), 64)) {
      return PayloadMode.SIGNED_PAYLOAD;
    }
    throw new S3AuthException(S3AuthException.INVALID_ARGUMENT,
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER,"
            + " STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.");
  }

  // ---- presigned query string -------------------------------------------------------------

  private AuthResult verifyPresigned(RequestHead request, List<SigV4.QueryParam> query) throws S3AuthException {
    String error = S3AuthException.AUTHORIZATION_QUERY_PARAMETERS_ERROR;
    Map<String, String> params = new HashMap<>();
    for (String name : PRESIGN_PARAMS) {
      List<String> values = paramValues(query, name);
      if (values.size() != 1) {
        throw new S3AuthException(error, "Query-string authentication version 4 requires the X-Amz-Algorithm,"
            + " X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters,"
            + " each exactly once.");
      }
      params.put(name, values.get(0));
    }
    if (!params.get(X_AMZ_ALGORITHM).equals(SigV4.ALGORITHM)) {
      throw new S3AuthException(error, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    }
    String amzDate = params.get(X_AMZ_DATE);
    Instant requestTime;
    try {
      requestTime = LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new S3AuthException(error, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    }
    long expires = parseExpires(params.get(X_AMZ_EXPIRES));
    Scope scope = parseCredential(params.get(X_AMZ_CREDENTIAL), error);
    checkScope(scope, amzDate, error);
    List<String> signedHeaders = parseSignedHeaders(params.get(X_AMZ_SIGNED_HEADERS), error);

    Instant now = config.clock().instant();
    if (now.isBefore(requestTime.minus(config.maxClockSkew()))) {
      throw new S3AuthException(S3AuthException.ACCESS_DENIED, "Request is not valid yet",
          SigV4.details("X-Amz-Date", amzDate, "ServerTime", now.toString()));
    }
    Instant expiry = requestTime.plusSeconds(expires);
    if (now.isAfter(expiry)) {
      throw new S3AuthException(S3AuthException.ACCESS_DENIED, "Request has expired",
          SigV4.details("X-Amz-Expires", Long.toString(expires), "Expires", expiry.toString(),
              "ServerTime", now.toString()));
    }
    checkAmzHeadersSigned(request, signedHeaders, Set.of(CONTENT_SHA256));

    // A presigned URL's payload is unsigned unless the URL itself carries a hash.
    List<String> hashParam = paramValues(query, X_AMZ_CONTENT_SHA256_PARAM);
    if (hashParam.size() > 1) {
      throw new S3AuthException(error, "X-Amz-Content-Sha256 is given more than once.");
    }
    String canonicalPayload = hashParam.isEmpty() ? PayloadMode.UNSIGNED_PAYLOAD.headerValue() : hashParam.get(0);
    PayloadMode signedMode = payloadMode(canonicalPayload);
    if (signedMode.isStreaming()) {
      throw new S3AuthException(S3AuthException.INVALID_REQUEST,
          "A presigned URL cannot sign a streaming payload.");
    }
    // A hash signed in the URL binds the body. Otherwise the client may still declare the body
    // in the header (a hash, then checked, or unsigned aws-chunked with a trailing checksum);
    // signed chunks need the seed signature of an Authorization header.
    PayloadMode mode = signedMode;
    String payloadHash = canonicalPayload;
    String declared = request.header(CONTENT_SHA256);
    if (signedMode == PayloadMode.UNSIGNED_PAYLOAD && declared != null) {
      mode = payloadMode(declared);
      payloadHash = declared;
      if (mode.hasChunkSignatures()) {
        throw new S3AuthException(S3AuthException.INVALID_REQUEST,
            "Signed streaming payloads need the Authorization header, not a presigned URL.");
      }
    }

    BodyDeclaration body = bodyDeclaration(request, mode);

    Credential credential = lookUp(scope.accessKeyId());
    byte[] signingKey = SigV4.signingKey(credential.secretAccessKey(), scope.date(), scope.region(), scope.service());
    checkSignature(request, query, X_AMZ_SIGNATURE, signedHeaders, canonicalPayload, amzDate, scope, signingKey,
        params.get(X_AMZ_SIGNATURE));
    return result(credential, mode, payloadHash, body, null);
  }

  private static long parseExpires(String value) throws S3AuthException {
    String error = S3AuthException.AUTHORIZATION_QUERY_PARAMETERS_ERROR;
    if (value.startsWith("-")) {
      throw new S3AuthException(error, "X-Amz-Expires must be non-negative");
    }
    if (value.isEmpty() || value.length() > 12 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new S3AuthException(error, "X-Amz-Expires should be a number");
    }
    long expires = Long.parseLong(value);
    if (expires > S3AuthConfig.MAX_PRESIGNED_EXPIRES_SECONDS) {
      throw new S3AuthException(error, "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    }
    return expires;
  }

  // ---- shared checks ----------------------------------------------------------------------

  /** The parsed credential: access key id and the scope's date, region, service, terminator. */
  private record Scope(String accessKeyId, String date, String region, String service, String terminator) {
    @Override
    public String toString() {
      return date + '/' + region + '/' + service + '/' + terminator;
    }
  }

  private static Scope parseCredential(String credential, String errorCode) throws S3AuthException {
    String[] parts = credential.split("/", -1);
    if (parts.length != 5 || List.of(parts).contains("")) {
      throw new S3AuthException(errorCode, "The credential \"" + credential + "\" is malformed; expecting"
          + " \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
    }
    return new Scope(parts[0], parts[1], parts[2], parts[3], parts[4]);
  }

  private void checkScope(Scope scope, String amzDate, String errorCode) throws S3AuthException {
    if (!amzDate.startsWith(scope.date()) || scope.date().length() != 8) {
      throw new S3AuthException(errorCode, "Invalid credential date \"" + scope.date()
          + "\". This date is not the same as X-Amz-Date: \"" + amzDate.substring(0, Math.min(8, amzDate.length()))
          + "\".");
    }
    if (!config.regions().isEmpty() && !config.regions().contains(scope.region())) {
      throw new S3AuthException(errorCode, "The authorization header is malformed; the region '" + scope.region()
          + "' is wrong; expecting '" + String.join("' or '", new TreeSet<>(config.regions())) + "'",
          SigV4.details("Region", String.join(",", new TreeSet<>(config.regions()))));
    }
    if (!scope.service().equals(SigV4.SERVICE)) {
      throw new S3AuthException(errorCode, "The authorization header is malformed; incorrect service \""
          + scope.service() + "\". This endpoint belongs to \"s3\".");
    }
    if (!scope.terminator().equals(SigV4.TERMINATOR)) {
      throw new S3AuthException(errorCode, "The authorization header is malformed; incorrect terminal \""
          + scope.terminator() + "\". This endpoint uses \"aws4_request\".");
    }
  }

  private static List<String> parseSignedHeaders(String value, String errorCode) throws S3AuthException {
    List<String> names = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String name : value.split(";", -1)) {
      if (name.isEmpty() || !name.equals(name.toLowerCase(Locale.ROOT)) || !isToken(name) || !seen.add(name)) {
        throw new S3AuthException(errorCode, "The signed headers \"" + value + "\" are malformed.");
      }
      names.add(name);
    }
    if (!seen.contains("host")) {
      throw new S3AuthException(errorCode, "The host header must be signed.");
    }
    return names;
  }

  /** Every x-amz-* header present must be signed (S3 refuses requests with unsigned ones). */
  private static void checkAmzHeadersSigned(RequestHead request, List<String> signedHeaders, Set<String> exempt)
      throws S3AuthException {
    List<String> unsigned = new ArrayList<>();
    for (String name : request.headers().keySet()) {
      if (name.startsWith("x-amz-") && !signedHeaders.contains(name) && !exempt.contains(name)) {
        unsigned.add(name);
      }
    }
    if (!unsigned.isEmpty()) {
      throw new S3AuthException(S3AuthException.ACCESS_DENIED,
          "There were headers present in the request which were not signed",
          SigV4.details("HeadersNotSigned", String.join(", ", unsigned)));
    }
  }

  private Credential lookUp(String accessKeyId) throws S3AuthException {
    return credentials.find(accessKeyId).orElseThrow(() -> new S3AuthException(S3AuthException.INVALID_ACCESS_KEY_ID,
        "The AWS Access Key Id you provided does not exist in our records.",
        SigV4.details("AWSAccessKeyId", accessKeyId)));
  }

  /** Computes the request's signature and compares; returns it (the seed of signed chunks). */
  private static String checkSignature(
      RequestHead request, List<SigV4.QueryParam> query, String excludedParam, List<String> signedHeaders,
      String payloadHash, String amzDate, Scope scope, byte[] signingKey, String provided) throws S3AuthException {
    String canonicalRequest = SigV4.canonicalRequest(request.method(), SigV4.canonicalUri(request.rawPath()),
        SigV4.canonicalQuery(query, excludedParam), signedHeaders, request.headers(), payloadHash);
    String stringToSign = SigV4.stringToSign(amzDate, scope.toString(), canonicalRequest);
    String expected = SigV4.hex(SigV4.hmac(signingKey, stringToSign));
    if (!SigV4.signaturesEqual(expected, provided)) {
      throw new S3AuthException(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
          "The request signature we calculated does not match the signature you provided."
              + " Check your key and signing method.",
          SigV4.details("AWSAccessKeyId", scope.accessKeyId(), "StringToSign", stringToSign,
              "SignatureProvided", provided, "CanonicalRequest", canonicalRequest));
    }
    return expected;
  }

  /** What a streaming request declares about its body; null fields for the other modes. */
  private record BodyDeclaration(long decodedContentLength, ChecksumAlgorithm trailingChecksum) {}

  private static BodyDeclaration bodyDeclaration(RequestHead request, PayloadMode mode) throws S3AuthException {
    if (!mode.isStreaming()) {
      return null;
    }
    String decoded = request.header(DECODED_CONTENT_LENGTH);
    if (decoded == null) {
      throw new S3AuthException(S3AuthException.MISSING_CONTENT_LENGTH,
          "An aws-chunked body needs the x-amz-decoded-content-length header.");
    }
    decoded = decoded.trim();
    if (decoded.isEmpty() || decoded.length() > 18 || !decoded.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new S3AuthException(S3AuthException.INVALID_ARGUMENT,
          "x-amz-decoded-content-length is not a valid length: " + decoded);
    }
    ChecksumAlgorithm trailing = null;
    String trailer = request.header(TRAILER);
    if (trailer != null && mode.hasTrailer()) {
      trailing = ChecksumAlgorithm.forHeader(trailer);
      if (trailing == null) {
        throw new S3AuthException(S3AuthException.INVALID_REQUEST,
            "The value specified in the x-amz-trailer header is not supported: " + trailer);
      }
    }
    return new BodyDeclaration(Long.parseLong(decoded), trailing);
  }

  private AuthResult result(Credential credential, PayloadMode mode, String payloadHash, BodyDeclaration body,
      StreamingPayload.ChunkSigningSeed seed) {
    if (mode == PayloadMode.SIGNED_PAYLOAD) {
      return new AuthResult(credential, mode, payloadHash.toLowerCase(Locale.ROOT), null);
    }
    if (!mode.isStreaming()) {
      return new AuthResult(credential, mode, null, null);
    }
    return new AuthResult(credential, mode, null, new StreamingPayload(mode, body.decodedContentLength(),
        body.trailingChecksum(), mode.hasChunkSignatures() ? seed : null, config.maxChunkHeaderLength(),
        config.maxTrailerLength()));
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static S3AuthException unsupportedMechanism() {
    return new S3AuthException(S3AuthException.INVALID_REQUEST,
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
  }

  private static boolean hasParam(List<SigV4.QueryParam> query, String name) {
    return query.stream().anyMatch(p -> p.name().equals(name));
  }

  private static List<String> paramValues(List<SigV4.QueryParam> query, String name) {
    List<String> values = new ArrayList<>();
    for (SigV4.QueryParam p : query) {
      if (p.name().equals(name)) {
        values.add(p.value());
      }
    }
    return values;
  }

  private static int indexOfWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
        return i;
      }
    }
    return -1;
  }

  private static boolean isToken(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= 0x20 || c >= 0x7f || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }
}
