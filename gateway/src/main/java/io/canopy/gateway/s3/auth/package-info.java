/**
 * S3 request authentication: AWS Signature Version 4 as S3 speaks it, with no HTTP framework in
 * it, so the HTTP layer calls it with plain values and tests drive it with plain calls.
 *
 * <ul>
 *   <li>{@link io.canopy.gateway.s3.auth.SigV4Verifier} checks a request head ({@link
 *       io.canopy.gateway.s3.auth.RequestHead}: method, raw path, raw query, headers) signed in the
 *       {@code Authorization} header or presigned in the query string, and returns an {@link
 *       io.canopy.gateway.s3.auth.AuthResult}: who signed, and how the body must be read.
 *   <li>{@link io.canopy.gateway.s3.auth.AuthResult#verifiedBody} wraps the raw body stream: a
 *       {@link io.canopy.gateway.s3.auth.Sha256CheckingInputStream} for a signed payload, a {@link
 *       io.canopy.gateway.s3.auth.StreamingPayloadDecoder} for {@code aws-chunked} bodies (chunk
 *       signatures, trailing checksums, decoded length). Both stream; neither holds a whole
 *       object. A body is only valid once its stream has returned end-of-stream (-1): every check
 *       runs before that, and a failed check throws instead.
 *   <li>Secrets come from a {@link io.canopy.gateway.s3.auth.CredentialStore}.
 * </ul>
 *
 * <p>Failures are {@link io.canopy.gateway.s3.auth.S3AuthException}s carrying the plain S3 error
 * code; the S3 error table ({@code io.canopy.gateway.s3.S3Error}) maps the code to the HTTP
 * status. The codes this package uses:
 *
 * <ul>
 *   <li>{@code AccessDenied} (403): no credentials, unparseable request time, presigned URL
 *       expired or not yet valid, {@code x-amz-*} headers present but not signed.
 *   <li>{@code SignatureDoesNotMatch} (403): request, chunk or trailer signature wrong.
 *   <li>{@code InvalidAccessKeyId} (403): the access key is not in the store.
 *   <li>{@code RequestTimeTooSkewed} (403): header-signed request outside the allowed clock skew.
 *   <li>{@code AuthorizationHeaderMalformed} (400): the Authorization header cannot be parsed or
 *       its credential scope is wrong (date, region, service, terminator).
 *   <li>{@code AuthorizationQueryParametersError} (400): the same for presigned query strings,
 *       and a missing, malformed or too long {@code X-Amz-Expires}.
 *   <li>{@code InvalidArgument} (400): two auth mechanisms at once, an unknown Authorization
 *       scheme, an invalid {@code x-amz-content-sha256} or {@code x-amz-decoded-content-length}.
 *   <li>{@code InvalidRequest} (400): Signature Version 2 or a SigV4 variant we do not support,
 *       missing {@code x-amz-content-sha256}, an unsupported {@code x-amz-trailer}, malformed
 *       {@code aws-chunked} framing or trailer, data beyond the declared length.
 *   <li>{@code MissingContentLength} (411): a streaming body without {@code
 *       x-amz-decoded-content-length}.
 *   <li>{@code XAmzContentSHA256Mismatch} (400): a signed payload's SHA-256 differs.
 *   <li>{@code IncompleteBody} (400): the body ended before its declared length or its final chunk.
 *   <li>{@code InvalidDigest} (400): a trailing checksum value that is not valid base64 of the
 *       right length.
 *   <li>{@code BadDigest} (400): a trailing checksum that does not match the data.
 * </ul>
 *
 * <p>Specs: "Authenticating Requests (AWS Signature Version 4)" in the Amazon S3 API Reference and
 * its sections on the Authorization header, query parameters, chunked upload and trailing headers.
 */
package io.canopy.gateway.s3.auth;
