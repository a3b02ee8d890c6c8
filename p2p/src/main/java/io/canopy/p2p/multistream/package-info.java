/**
 * multistream-select 1.0 ({@code /multistream/1.0.0}, github.com/multiformats/multistream-select;
 * libp2p specs connections/README.md §Protocol Negotiation): how two peers agree on the protocol
 * of a connection or stream.
 *
 * <p>{@link io.canopy.p2p.multistream.MultistreamMessage} is the wire form, {@link
 * io.canopy.p2p.multistream.MultistreamNegotiation} the logic with no Netty, {@link
 * io.canopy.p2p.multistream.MultistreamHandler} runs it on a channel and steps aside.
 */
package io.canopy.p2p.multistream;
