/**
 * The libp2p stream muxer {@code /yamux/1.0.0} (hashicorp/yamux spec.md; libp2p specs
 * yamux/README.md): {@link io.canopy.p2p.yamux.YamuxFrame} (message), {@link
 * io.canopy.p2p.yamux.YamuxFrameCodec} (Netty codec), {@link io.canopy.p2p.yamux.YamuxSession}
 * (state, no Netty channel), {@link io.canopy.p2p.yamux.YamuxHandler} and {@link
 * io.canopy.p2p.yamux.YamuxStreamChannel} (binding: each stream is a child channel), {@link
 * io.canopy.p2p.yamux.YamuxStreamMuxer} (protocol id and installation), {@link
 * io.canopy.p2p.yamux.YamuxConfig} (limits).
 */
package io.canopy.p2p.yamux;
