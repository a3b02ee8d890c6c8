/**
 * The gateway: the HTTP faces app developers use (S3 in {@code s3}, the OpenAI API in {@code
 * openai}, the IPFS gateway and the Kubo RPC subset to come), storing data in the network through
 * storage deals. Each face parses a request into an operation, authenticates it, then dispatches
 * it; each has one error table.
 */
package io.canopy.gateway;
