#!/usr/bin/env node
// A js-libp2p peer driven over stdin/stdout, for Canopy's libp2p interop tests.
//
//   node js/libp2p-peer.mjs [--seed HEX32] [--listen MA]... [--no-connection-monitor] [--kad-dht]
//
// The node uses TCP, Noise, Yamux, identify and ping (the stack Canopy's Java host speaks), and
// also serves "/canopy/echo/1.0.0": every byte read is written back, and the write side is closed
// once the remote has closed its own (then everything received has been echoed).
//
//   --seed HEX32   Ed25519 private key seed (64 hex digits), so a test knows the peer ID in
//                  advance; a random key otherwise.
//   --listen MA    listen address (repeatable); /ip4/127.0.0.1/tcp/0 by default.
//   --no-connection-monitor
//                  do not ping open connections every 10 s (js-libp2p's default keep-alive).
//   --kad-dht      also run @libp2p/kad-dht on /ipfs/kad/1.0.0 in server mode, keeping private
//                  (127.0.0.1) addresses in what it tells others, and enable the kad* commands.
//
// Once listening it prints exactly one JSON line on stdout:
//   {"peerId": "...", "addrs": ["/ip4/127.0.0.1/tcp/PORT/p2p/..."], "protocols": [...]}
// then reads newline-delimited JSON commands on stdin, runs them one at a time in order, and
// answers each with exactly one JSON line on stdout (a command's "id", if any, is copied into
// its answer):
//   {"cmd":"dial","addr":MA}            -> {"ok":true,"peerId","protocols","agentVersion",
//                                           "protocolVersion","listenAddrs","observedAddr",
//                                           "remoteAddr"}  (after identify on that connection)
//   {"cmd":"ping","addr":MA,"count":N}  -> {"ok":true,"rttMs":[...]}           (N defaults to 1)
//   {"cmd":"echo","addr":MA,"streams":K,"bytes":B}
//                                       -> {"ok":true,"streams":K,"bytes":B,"ms":...}
//        K concurrent echo streams, each sends B random bytes, closes its write side and checks
//        that exactly the same bytes come back.
//   {"cmd":"peers"}                     -> {"ok":true,"peers":[...connected peer IDs...]}
//   {"cmd":"hangup","addr":MA|peerId}   -> {"ok":true}  (closes connections to that peer)
//   {"cmd":"stop"}                      -> {"ok":true}, then the process exits with status 0.
// With --kad-dht (a peer is {"id": peerId, "addrs": [MA...]}):
//   {"cmd":"kadProvide","cid":CID}      -> {"ok":true}  (ADD_PROVIDER to the closest peers)
//   {"cmd":"kadFindProviders","cid":CID,"max":N}
//                                       -> {"ok":true,"providers":[peer...]}  (N defaults to 1)
//   {"cmd":"kadFindPeer","peerId":ID}   -> {"ok":true,"peer":peer|null}
//   {"cmd":"kadClosestPeers","keyHex":HEX}
//                                       -> {"ok":true,"peers":[ID...]}
//   {"cmd":"kadRoutingTable"}           -> {"ok":true,"peers":[ID...]}
// dial, ping, echo and the kad* lookups accept "timeoutMs" (default 30000). Any failure answers
// {"ok":false,"error":"..."}; the process keeps running. Logs go to stderr only (DEBUG=libp2p:*
// turns on js-libp2p's own). The process stops the node and exits 0 when stdin closes.

import './polyfill.mjs'
import { describe, runCommandLoop } from './command-loop.mjs'
import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { noise } from '@libp2p/noise'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'

const ECHO_PROTOCOL = '/canopy/echo/1.0.0'
const DEFAULT_TIMEOUT_MS = 30_000
const ECHO_CHUNK = 64 * 1024
const MAX_ECHO_STREAMS = 1024

// stdout carries the protocol only: anything else that prints goes to stderr.
console.log = console.error
console.info = console.error
const log = (...args) => console.error('[libp2p-peer]', ...args)



function parseArgs (argv) {
  const opts = { seed: null, listen: [], connectionMonitor: true, kadDht: false }
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
    } else if (a === '--no-connection-monitor') {
      opts.connectionMonitor = false
    } else if (a === '--kad-dht') {
      opts.kadDht = true
    } else {
      throw new Error(`unknown argument ${a}`)
    }
  }
  if (opts.listen.length === 0) opts.listen.push('/ip4/127.0.0.1/tcp/0')
  return opts
}

/** Serves /canopy/echo/1.0.0 with backpressure: pause reading while the write side is full. */
function echoHandler (stream) {
  stream.addEventListener('message', (evt) => {
    try {
      if (!stream.send(evt.data)) {
        stream.pause()
        stream.onDrain().then(() => stream.resume(), (err) => stream.abort(err))
      }
    } catch (err) {
      stream.abort(err)
    }
  })
  const finish = () => {
    // close() resolves once everything queued has been handed to the muxer.
    stream.close().catch((err) => stream.abort(err))
  }
  if (stream.readableEnded) {
    finish()
  } else {
    stream.addEventListener('end', finish, { once: true })
  }
}

function target (addr) {
  if (typeof addr !== 'string' || addr.length === 0) throw new Error('"addr" (a multiaddr) is required')
  return addr.startsWith('/') ? multiaddr(addr) : peerIdFromString(addr)
}

function timeoutSignal (cmd) {
  const ms = cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isInteger(ms) || ms <= 0) throw new Error('"timeoutMs" must be a positive integer')
  const signal = AbortSignal.timeout(ms)
  setMaxListeners(Infinity, signal) // one signal is shared by all the streams of a command
  return signal
}

function nonNegativeInt (cmd, name, dflt) {
  const v = cmd[name] ?? dflt
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`"${name}" must be a non-negative integer`)
  return v
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const privateKey = opts.seed != null
    ? await generateKeyPairFromSeed('Ed25519', opts.seed)
    : await generateKeyPair('Ed25519')

  const node = await createLibp2p({
    privateKey,
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: opts.connectionMonitor },
    services: {
      identify: identify(),
      ping: ping(),
      // Server mode from the start (the default waits for a public address, which a test on
      // 127.0.0.1 never has), and loopback addresses kept in answers for the same reason.
      ...(opts.kadDht ? { dht: kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper }) } : {})
    }
  })

  // Identify runs by itself on every new connection; remember each result by connection so a
  // dial can wait for the one on its connection (or find it done already).
  const identified = new Map()
  const identifyWaiters = new Map()
  node.addEventListener('peer:identify', (evt) => {
    const result = evt.detail
    const id = result.connection.id
    identified.set(id, result)
    for (const resolve of identifyWaiters.get(id) ?? []) resolve(result)
    identifyWaiters.delete(id)
  })
  node.addEventListener('connection:close', (evt) => {
    identified.delete(evt.detail.id)
  })

  function identifyResult (connection, signal) {
    const done = identified.get(connection.id)
    if (done != null) return Promise.resolve(done)
    return new Promise((resolve, reject) => {
      const list = identifyWaiters.get(connection.id) ?? []
      list.push(resolve)
      identifyWaiters.set(connection.id, list)
      signal.addEventListener('abort', () => reject(new Error(`identify on the connection to ${connection.remotePeer} did not complete: ${describe(signal.reason)}`)), { once: true })
    })
  }

  await node.handle(ECHO_PROTOCOL, echoHandler, {
    maxInboundStreams: MAX_ECHO_STREAMS,
    maxOutboundStreams: MAX_ECHO_STREAMS
  })

  node.addEventListener('connection:open', (evt) => {
    log('connection open', evt.detail.remotePeer.toString(), evt.detail.remoteAddr.toString(), evt.detail.direction)
  })

  async function dial (cmd) {
    const signal = timeoutSignal(cmd)
    const connection = await node.dial(target(cmd.addr), { signal })
    const result = await identifyResult(connection, signal)
    return {
      peerId: result.peerId.toString(),
      protocols: result.protocols,
      agentVersion: result.agentVersion ?? null,
      protocolVersion: result.protocolVersion ?? null,
      listenAddrs: result.listenAddrs.map(String),
      observedAddr: result.observedAddr?.toString() ?? null,
      remoteAddr: connection.remoteAddr.toString()
    }
  }

  async function pingCmd (cmd) {
    const count = nonNegativeInt(cmd, 'count', 1)
    const signal = timeoutSignal(cmd)
    const to = target(cmd.addr)
    const rttMs = []
    for (let i = 0; i < count; i++) {
      rttMs.push(await node.services.ping.ping(to, { signal }))
    }
    return { rttMs }
  }

  async function echoOnce (to, bytes, signal) {
    const stream = await node.dialProtocol(to, ECHO_PROTOCOL, { signal })
    const onAbort = () => stream.abort(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    const data = randomBytes(bytes)
    try {
      const reader = (async () => {
        let offset = 0
        for await (const chunk of stream) {
          const buf = chunk.subarray()
          if (offset + buf.byteLength > bytes) {
            throw new Error(`echo returned more than the ${bytes} bytes sent`)
          }
          if (Buffer.compare(buf, data.subarray(offset, offset + buf.byteLength)) !== 0) {
            throw new Error(`echoed bytes differ in [${offset}, ${offset + buf.byteLength})`)
          }
          offset += buf.byteLength
        }
        if (offset !== bytes) throw new Error(`echo returned ${offset} of ${bytes} bytes before closing`)
      })()
      const writer = (async () => {
        for (let offset = 0; offset < bytes; offset += ECHO_CHUNK) {
          if (!stream.send(data.subarray(offset, Math.min(bytes, offset + ECHO_CHUNK)))) {
            await stream.onDrain({ signal })
          }
        }
        await stream.close({ signal })
      })()
      await Promise.all([writer, reader])
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  async function echo (cmd) {
    const streams = nonNegativeInt(cmd, 'streams', 1)
    const bytes = nonNegativeInt(cmd, 'bytes', 0)
    const signal = timeoutSignal(cmd)
    const to = target(cmd.addr)
    // One connection for all streams: dial first so the K streams do not race K dials.
    await node.dial(to, { signal })
    const start = performance.now()
    await Promise.all(Array.from({ length: streams }, () => echoOnce(to, bytes, signal)))
    return { streams, bytes, ms: Math.round((performance.now() - start) * 1000) / 1000 }
  }

  async function hangup (cmd) {
    await node.hangUp(target(cmd.addr), { signal: timeoutSignal(cmd) })
    return {}
  }

  function dht () {
    const service = node.services.dht
    if (service == null) throw new Error('the DHT is off: start the peer with --kad-dht')
    return service
  }

  function peerInfo (info) {
    return { id: info.id.toString(), addrs: (info.multiaddrs ?? []).map(String) }
  }

  async function kadProvide (cmd) {
    const signal = timeoutSignal(cmd)
    for await (const event of dht().provide(CID.parse(cmd.cid), { signal })) {
      if (event.name === 'QUERY_ERROR') log('provide: query error from', event.from?.toString(), describe(event.error))
    }
    return {}
  }

  async function kadFindProviders (cmd) {
    const max = nonNegativeInt(cmd, 'max', 1)
    const controller = new AbortController()
    const signal = AbortSignal.any([timeoutSignal(cmd), controller.signal])
    const found = new Map()
    try {
      for await (const event of dht().findProviders(CID.parse(cmd.cid), { signal })) {
        if (event.name !== 'PROVIDER') continue
        for (const p of event.providers) found.set(p.id.toString(), peerInfo(p))
        if (found.size >= max) {
          controller.abort()
          break
        }
      }
    } catch (err) {
      if (found.size < max) throw err
    }
    return { providers: [...found.values()].slice(0, max) }
  }

  async function kadFindPeer (cmd) {
    const signal = timeoutSignal(cmd)
    for await (const event of dht().findPeer(peerIdFromString(cmd.peerId), { signal })) {
      if (event.name === 'FINAL_PEER') return { peer: peerInfo(event.peer) }
    }
    return { peer: null }
  }

  async function kadClosestPeers (cmd) {
    const signal = timeoutSignal(cmd)
    const peers = []
    for await (const event of dht().getClosestPeers(Uint8Array.from(Buffer.from(cmd.keyHex, 'hex')), { signal })) {
      if (event.name === 'FINAL_PEER') peers.push(event.peer.id.toString())
    }
    return { peers }
  }

  async function kadRoutingTable () {
    const peers = []
    for (const contact of dht().routingTable.kb.toIterable()) peers.push(contact.peerId.toString())
    return { peers }
  }

  const commands = {
    dial,
    ping: pingCmd,
    echo,
    hangup,
    peers: async () => ({ peers: node.getPeers().map(String) }),
    kadProvide,
    kadFindProviders,
    kadFindPeer,
    kadClosestPeers,
    kadRoutingTable
  }

  runCommandLoop({
    ready: {
      peerId: node.peerId.toString(),
      addrs: node.getMultiaddrs().map(String),
      protocols: node.getProtocols()
    },
    commands,
    stop: () => node.stop(),
    log
  })
}

process.on('unhandledRejection', (err) => {
  log('unhandled rejection:', err)
})

main().catch((err) => {
  log('failed to start:', err)
  process.exit(1)
})
