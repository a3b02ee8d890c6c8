/**
 * libp2p Noise ({@code /noise}, libp2p specs noise/README.md): {@code
 * Noise_XX_25519_ChaChaPoly_SHA256} (noiseprotocol.org, rev 34) with the libp2p handshake payload
 * that binds the Noise static key to the peer's identity key.
 *
 * <p>{@link io.canopy.p2p.noise.NoiseHandshakeState} (with {@code SymmetricState} and {@link
 * io.canopy.p2p.noise.CipherState}) is the Noise logic with no Netty; {@link
 * io.canopy.p2p.noise.NoisePayload} the handshake payload; {@link io.canopy.p2p.noise.NoiseHandler}
 * runs the handshake on a channel and leaves {@code NoiseTransportCodec} in its place; {@link
 * io.canopy.p2p.noise.NoiseSecureChannel} is the binding that hands out handlers for one identity.
 */
package io.canopy.p2p.noise;
