/**
 * The S3 face's request parsing, XML and error table, with no HTTP server in it: {@link
 * io.canopy.gateway.s3.S3Request} turns method, path, query and Host into an {@link
 * io.canopy.gateway.s3.S3Operation}; {@link io.canopy.gateway.s3.S3Xml} renders responses and
 * reads request bodies safely; {@link io.canopy.gateway.s3.S3Error} is the one error table.
 */
package io.canopy.gateway.s3;
