#!/usr/bin/env node
// A Helia node driven over stdin/stdout, for Canopy's Bitswap interop tests and benchmark.
//
//   node js/helia-peer.mjs [--seed HEX32] [--listen MA]...
//
// Helia is configured minimal and hermetic: libp2p with TCP, Noise, Yamux, identify and ping only
// (no DHT, delegated routers, HTTP gateways, AutoNAT, UPnP, mDNS, relay, no bootstrap list), an
// in-memory blockstore and datastore, and Bitswap as the only block broker (/ipfs/bitswap/1.2.0,
// the only version Helia speaks). Blocks it lacks are therefore asked of the peers it is
// connected to, and of nobody else.
//
//   --seed HEX32   Ed25519 private key seed (64 hex digits); a random key otherwise.
//   --listen MA    listen address (repeatable); /ip4/127.0.0.1/tcp/0 by default.
//
// Once listening it prints exactly one JSON line on stdout:
//   {"peerId": "...", "addrs": ["/ip4/127.0.0.1/tcp/PORT/p2p/..."], "protocols": [...]}
// then reads newline-delimited JSON commands on stdin, runs them one at a time in order, and
// answers each with exactly one JSON line (a command's "id", if any, is copied into its answer):
//   {"cmd":"dial","addr":MA}         -> {"ok":true,"peerId","protocols","agentVersion"}
//        dials and waits for identify on that connection (after which Bitswap knows the peer).
//   {"cmd":"add","path":FILE,"cidVersion":0|1,"rawLeaves":BOOL,"chunkSize":N,"maxLinks":N}
//                                    -> {"ok":true,"cid","bytes","ms"}
//        @helia/unixfs addByteStream of the file into the local blockstore: fixed-size chunks
//        (262144 by default), balanced layout with maxLinks links per node (174, as Kubo, by
//        default), cidVersion 0 by default, rawLeaves defaulting to cidVersion === 1 (Kubo's rule;
//        Helia's own defaults are CIDv1, raw leaves, 1 MiB chunks, 1024 links).
//   {"cmd":"cat","cid":CID,"out":FILE?} -> {"ok":true,"bytes","sha256","ms"}
//        @helia/unixfs cat, fetching missing blocks over Bitswap; the bytes are hashed (SHA-256,
//        hex) and, if "out" is given, written to that file.
//   {"cmd":"has","cid":CID}          -> {"ok":true,"has":BOOL}  (local blockstore only)
//   {"cmd":"blocks"}                 -> {"ok":true,"count":N,"bytes":N}  (local blockstore)
//   {"cmd":"peers"}                  -> {"ok":true,"peers":[...connected peer IDs...]}
//   {"cmd":"hangup","addr":MA|peerId} -> {"ok":true}
//   {"cmd":"stop"}                   -> {"ok":true}, then the process exits with status 0.
// dial, add and cat accept "timeoutMs" (default 120000). Any failure answers
// {"ok":false,"error":"..."}; the process keeps running. Logs go to stderr only;
// DEBUG=helia:bitswap* shows every Bitswap message Helia sends and receives. The process stops
// the node and exits 0 when stdin closes.

import './polyfill.mjs'
import { describe, runCommandLoop } from './command-loop.mjs'
import { createHash } from 'node:crypto'
import { createReadStream, realpathSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { setMaxListeners } from 'node:events'
import { pathToFileURL } from 'node:url'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { unixfs } from '@helia/unixfs'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'

const DEFAULT_TIMEOUT_MS = 120_000
const KUBO_CHUNK_SIZE = 262_144
const KUBO_MAX_LINKS = 174

const log = (...args) => console.error('[helia-peer]', ...args)



function parseArgs (argv) {
  const opts = { seed: null, listen: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--seed') {
      const hex = value()
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error('--seed needs 64 hex digits (32 bytes)')
      opts.seed = Uint8Array.from(Buffer.from(hex, 'hex'))
    } else if (a === '--listen') {
      opts.listen.push(value())
    } else {
      throw new Error(`unknown argument ${a}`)
    }
  }
  if (opts.listen.length === 0) opts.listen.push('/ip4/127.0.0.1/tcp/0')
  return opts
}

/**
 * A started Helia node with the minimal hermetic stack described at the top of this file.
 * Exported for bench-bitswap.mjs.
 */
export async function createMinimalHelia ({ privateKey, listen = ['/ip4/127.0.0.1/tcp/0'] } = {}) {
  privateKey ??= await generateKeyPair('Ed25519')
  // createHeliaLight + the "Light" libp2p mixin: nothing but what is listed here. createHelia()
  // would add Helia's libp2p defaults (DHT, bootstrap, AutoNAT, UPnP, relay, ...) and the HTTP
  // gateway broker, all of which reach out to the internet.
  const helia = withBitswap(withLibp2pLight(createHeliaLight({ routers: [] }), {
    privateKey,
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    // tests and the benchmark open connections in quick succession from one address
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: {
      identify: identify(),
      ping: ping()
    }
  }))
  await helia.start()
  return helia
}

/** Options for @helia/unixfs add*, Kubo's way unless told otherwise. */
export function importOptions (cmd = {}) {
  const cidVersion = cmd.cidVersion ?? 0
  if (cidVersion !== 0 && cidVersion !== 1) throw new Error('"cidVersion" must be 0 or 1')
  const chunkSize = cmd.chunkSize ?? KUBO_CHUNK_SIZE
  const maxLinks = cmd.maxLinks ?? KUBO_MAX_LINKS
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new Error('"chunkSize" must be a positive integer')
  if (!Number.isSafeInteger(maxLinks) || maxLinks <= 1) throw new Error('"maxLinks" must be an integer > 1')
  return {
    cidVersion,
    rawLeaves: cmd.rawLeaves ?? (cidVersion === 1),
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize }),
    layout: balanced({ maxChildrenPerNode: maxLinks })
  }
}

/** Streams a file into Helia's blockstore: {cid, bytes, ms}. */
export async function addFile (fs, path, cmd = {}, signal) {
  if (typeof path !== 'string' || path.length === 0) throw new Error('"path" (a file) is required')
  const start = performance.now()
  let bytes = 0
  const counted = (async function * () {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      bytes += chunk.byteLength
      yield chunk
    }
  })()
  const cid = await fs.addByteStream(counted, { ...importOptions(cmd), signal })
  return { cid: cid.toString(), bytes, ms: elapsed(start) }
}

/** Reads a UnixFS file, fetching what is missing: {bytes, sha256, ms}; writes it to out if given. */
export async function catFile (fs, cidText, out, signal) {
  const cid = parseCid(cidText)
  const start = performance.now()
  const hash = createHash('sha256')
  const file = out != null ? await open(out, 'w') : null
  let bytes = 0
  try {
    for await (const chunk of fs.cat(cid, { signal })) {
      hash.update(chunk)
      bytes += chunk.byteLength
      if (file != null) await file.write(chunk)
    }
  } finally {
    await file?.close()
  }
  return { bytes, sha256: hash.digest('hex'), ms: elapsed(start) }
}

function parseCid (text) {
  if (typeof text !== 'string' || text.length === 0) throw new Error('"cid" is required')
  return CID.parse(text)
}

function elapsed (start) {
  return Math.round((performance.now() - start) * 1000) / 1000
}

function target (addr) {
  if (typeof addr !== 'string' || addr.length === 0) throw new Error('"addr" (a multiaddr) is required')
  return addr.startsWith('/') ? multiaddr(addr) : peerIdFromString(addr)
}

function timeoutSignal (cmd) {
  const ms = cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isInteger(ms) || ms <= 0) throw new Error('"timeoutMs" must be a positive integer')
  const signal = AbortSignal.timeout(ms)
  setMaxListeners(Infinity, signal) // one signal is shared by every block fetch of a command
  return signal
}

/**
 * Dials and resolves once identify has run on that connection, so the remote's protocols are
 * known (Helia's Bitswap adds a peer when identify reports /ipfs/bitswap/1.2.0).
 */
export async function dialAndIdentify (libp2p, to, signal) {
  const done = new Map() // connection id -> identify result, for results that beat the dial
  let waiter = null
  const onIdentify = (evt) => {
    const id = evt.detail.connection.id
    if (waiter != null && waiter.id === id) waiter.resolve(evt.detail)
    else done.set(id, evt.detail)
  }
  libp2p.addEventListener('peer:identify', onIdentify)
  try {
    const connection = await libp2p.dial(to, { signal })
    if (done.has(connection.id)) return done.get(connection.id)
    // an existing connection, identified before this command: the peer store has the result
    const known = await libp2p.peerStore.get(connection.remotePeer).catch(() => null)
    if (known != null && known.protocols.length > 0) {
      const agent = known.metadata.get('AgentVersion')
      return { peerId: connection.remotePeer, protocols: known.protocols, agentVersion: agent != null ? new TextDecoder().decode(agent) : null }
    }
    return await new Promise((resolve, reject) => {
      waiter = { id: connection.id, resolve }
      if (done.has(connection.id)) resolve(done.get(connection.id))
      signal.addEventListener('abort', () => reject(new Error(`identify on the connection to ${connection.remotePeer} did not complete: ${describe(signal.reason)}`)), { once: true })
    })
  } finally {
    libp2p.removeEventListener('peer:identify', onIdentify)
  }
}

async function main () {
  // stdout carries the protocol only: anything else that prints goes to stderr.
  console.log = console.error
  console.info = console.error
  const opts = parseArgs(process.argv.slice(2))
  const privateKey = opts.seed != null
    ? await generateKeyPairFromSeed('Ed25519', opts.seed)
    : await generateKeyPair('Ed25519')
  const helia = await createMinimalHelia({ privateKey, listen: opts.listen })
  const libp2p = helia.libp2p
  const fs = unixfs(helia)

  libp2p.addEventListener('connection:open', (evt) => {
    log('connection open', evt.detail.remotePeer.toString(), evt.detail.remoteAddr.toString(), evt.detail.direction)
  })

  async function dial (cmd) {
    const result = await dialAndIdentify(libp2p, target(cmd.addr), timeoutSignal(cmd))
    return {
      peerId: result.peerId.toString(),
      protocols: result.protocols,
      agentVersion: result.agentVersion ?? null
    }
  }

  async function blocks () {
    let count = 0
    let bytes = 0
    for await (const pair of helia.blockstore.getAll()) {
      count++
      for await (const chunk of pair.bytes) bytes += chunk.byteLength
    }
    return { count, bytes }
  }

  async function hangup (cmd) {
    await libp2p.hangUp(target(cmd.addr), { signal: timeoutSignal(cmd) })
    return {}
  }

  const commands = {
    dial,
    add: (cmd) => addFile(fs, cmd.path, cmd, timeoutSignal(cmd)),
    cat: (cmd) => catFile(fs, cmd.cid, cmd.out, timeoutSignal(cmd)),
    has: async (cmd) => ({ has: await helia.blockstore.has(parseCid(cmd.cid)) }),
    blocks,
    hangup,
    peers: async () => ({ peers: libp2p.getPeers().map(String) })
  }

  runCommandLoop({
    ready: {
      peerId: libp2p.peerId.toString(),
      addrs: libp2p.getMultiaddrs().map(String),
      protocols: libp2p.getProtocols()
    },
    commands,
    stop: () => helia.stop(),
    log
  })
}

// Run as a program, not when bench-bitswap.mjs imports the helpers above.
if (process.argv[1] != null && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.on('unhandledRejection', (err) => {
    log('unhandled rejection:', err)
  })
  main().catch((err) => {
    log('failed to start:', err)
    process.exit(1)
  })
}
