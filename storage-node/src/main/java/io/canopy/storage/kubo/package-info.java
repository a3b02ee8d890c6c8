/**
 * The existing-IPFS-daemon backend (DESIGN.md §4): a storage node started with {@code --ipfs-api
 * http://127.0.0.1:5001} keeps and pins its blocks in the operator's Kubo through its HTTP RPC API.
 *
 * <p>{@link io.canopy.storage.kubo.KuboRpcClient} is the wire (one method per RPC command, limits and
 * deadlines in one place, errors through the {@link io.canopy.storage.kubo.KuboRpcError} table);
 * {@link io.canopy.storage.kubo.KuboBlockstore} and {@link io.canopy.storage.kubo.KuboContentStore}
 * are the storage role's {@code Blockstore} and {@code ContentStore} on top of it.
 *
 * <h2>Kubo RPC commands used, and what was checked against what</h2>
 *
 * <table>
 *   <caption>Compatibility matrix (Kubo ≥ 0.20 per docs.ipfs.tech/reference/kubo/rpc; js-ipfs 0.66.1 by the interop tests)</caption>
 *   <tr><th>command</th><th>arguments sent</th><th>used for</th><th>Kubo</th><th>js-ipfs 0.66.1</th></tr>
 *   <tr><td>version</td><td></td><td>reachability, dialect</td><td>documented</td><td>tested</td></tr>
 *   <tr><td>id</td><td></td><td>diagnostics</td><td>documented</td><td>tested</td></tr>
 *   <tr><td>block/put</td><td>Kubo: {@code cid-codec, mhtype, mhlen} ({@code format=v0} for CIDv0);
 *       js-ipfs: {@code format, version, mhtype, mhlen}</td><td>put; the returned CID must equal ours</td>
 *       <td>documented</td><td>tested (raw, dag-pb v0/v1, dag-cbor, sha2-512)</td></tr>
 *   <tr><td>block/get</td><td>{@code arg}; Kubo {@code offline=true}, js-ipfs {@code timeout}</td>
 *       <td>get (verified against the CID)</td><td>documented</td><td>tested</td></tr>
 *   <tr><td>block/stat</td><td>as block/get</td><td>has, size</td><td>documented</td><td>tested</td></tr>
 *   <tr><td>block/rm</td><td>{@code arg} (no {@code force})</td><td>delete</td><td>documented</td><td>tested</td></tr>
 *   <tr><td>pin/add</td><td>{@code arg, recursive=true}; Kubo {@code offline=true}</td><td>pinRecursive</td>
 *       <td>documented</td><td>tested</td></tr>
 *   <tr><td>pin/rm</td><td>{@code arg, recursive=true}</td><td>unpin</td><td>documented</td><td>tested</td></tr>
 *   <tr><td>pin/ls</td><td>{@code arg, type}; or {@code type, stream=true}</td><td>isPinned, listing</td>
 *       <td>documented</td><td>tested (with arg)</td></tr>
 *   <tr><td>repo/gc</td><td>{@code stream-errors=true}</td><td>collectGarbage</td><td>documented</td><td>tested</td></tr>
 *   <tr><td>repo/stat</td><td>{@code size-only=true}</td><td>usedBytes</td><td>documented</td><td>tested</td></tr>
 *   <tr><td>refs/local</td><td></td><td>keys</td><td>documented</td><td>tested</td></tr>
 * </table>
 *
 * <p>"documented" means built from Kubo's RPC reference and command sources and unit-tested against a
 * stand-in that answers as they describe; no real Kubo binary runs in the tests (its npm package
 * downloads one at install time). The differences between the two daemons are in {@link
 * io.canopy.storage.kubo.KuboDialect}.
 */
package io.canopy.storage.kubo;
