/**
 * libp2p for Canopy, written from github.com/libp2p/specs on Netty. One package per protocol
 * ({@code multistream}, {@code noise}, {@code yamux}, {@code identify}, {@code ping}, {@code tcp}),
 * each with the same file roles: the message, its Netty codec, the state machine with no Netty in
 * it, and the binding that plugs it into a connection.
 */
package io.canopy.p2p;
