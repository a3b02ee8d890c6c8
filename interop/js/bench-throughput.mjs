#!/usr/bin/env node
// Loopback benchmark of js-libp2p, the counterpart of Canopy's P2pThroughputMain (bench/p2p.sh
// runs both): two js-libp2p nodes in this one process, with the stack of libp2p-peer.mjs (TCP,
// Noise, Yamux, identify, ping).
//
//   node js/bench-throughput.mjs [MiB=1024]
//
// Measures
//   - connection setup: dial until the first ping round trip, on a fresh connection each time
//     (hang up, dial again), median of 10 after 3 untimed warm-ups;
//   - one Yamux stream on "/canopy/bench/1.0.0" sending MiB MiB from the dialer to a handler that
//     drains it and closes its side once the dialer has closed its own: time from the first byte
//     to the handler's close seen by the dialer, median of 3 after one untimed warm-up (64 MiB).
// Prints one JSON line on stdout: {"jsMBps":..,"jsConnectMs":..} (MB = 10^6 bytes); progress
// goes to stderr.

import './polyfill.mjs'
import { randomBytes } from 'node:crypto'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'

const PROTOCOL = '/canopy/bench/1.0.0'
const CHUNK = 64 * 1024
const RUNS = 3
const CONNECTS = 10
const WARMUP_CONNECTS = 3
const TIMEOUT_MS = 600_000

const log = (...args) => console.error('[bench-throughput]', ...args)

function median (values) {
  const s = [...values].sort((a, b) => a - b)
  const n = s.length
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

function createNode () {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false }, // no keep-alive pings during the measurements
    // The default (5 per second per host) resets the fresh connections the latency loop opens.
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: {
      identify: identify(),
      ping: ping()
    }
  })
}

/** Drains the stream, reports how many bytes it read, closes its side after the remote's. */
function sinkHandler (received) {
  return (stream) => {
    let count = 0
    stream.addEventListener('message', (evt) => {
      count += evt.data.byteLength
    })
    const finish = () => {
      received.push(count)
      stream.close().catch((err) => stream.abort(err))
    }
    if (stream.readableEnded) {
      finish()
    } else {
      stream.addEventListener('end', finish, { once: true })
    }
  }
}

/** Resolves once the remote has closed its writable end (or the stream is finished). */
function remoteClosed (stream) {
  return new Promise((resolve, reject) => {
    const onClose = (evt) => (evt.error != null ? reject(evt.error) : resolve())
    stream.addEventListener('remoteCloseWrite', () => resolve(), { once: true })
    stream.addEventListener('close', onClose, { once: true })
  })
}

async function connectLatency (client, target, targetPeer) {
  const ms = []
  for (let i = 0; i < WARMUP_CONNECTS + CONNECTS; i++) {
    const signal = AbortSignal.timeout(30_000)
    const start = performance.now()
    await client.dial(target, { signal })
    await client.services.ping.ping(targetPeer, { signal })
    const elapsed = performance.now() - start
    await client.hangUp(targetPeer, { signal }) // the next dial opens a new connection
    if (i >= WARMUP_CONNECTS) ms.push(elapsed)
  }
  log('js connect+ping ms:', ms.map((x) => Math.round(x * 1000) / 1000).join(', '))
  return median(ms)
}

/** Seconds from the first byte sent to the remote's close of its side. */
async function sendOverStream (client, targetPeer, total, chunk, received) {
  const signal = AbortSignal.timeout(TIMEOUT_MS)
  const stream = await client.dialProtocol(targetPeer, PROTOCOL, { signal })
  const closed = remoteClosed(stream)
  const start = performance.now()
  let written = 0
  while (written < total) {
    const n = Math.min(CHUNK, total - written)
    if (!stream.send(n === CHUNK ? chunk : chunk.subarray(0, n))) {
      await stream.onDrain({ signal })
    }
    written += n
  }
  await stream.close({ signal })
  await closed
  const seconds = (performance.now() - start) / 1000
  const got = received.shift()
  if (got !== total) throw new Error(`the handler received ${got} of ${total} bytes`)
  return seconds
}

async function main () {
  const mib = Number(process.argv[2] ?? 1024)
  if (!Number.isSafeInteger(mib) || mib <= 0) throw new Error('MiB must be a positive integer')
  const total = mib * 1024 * 1024
  const warmup = Math.min(mib, 64) * 1024 * 1024

  const server = await createNode()
  const client = await createNode()
  const received = []
  await server.handle(PROTOCOL, sinkHandler(received))
  const target = server.getMultiaddrs()[0]
  try {
    const connectMs = await connectLatency(client, target, server.peerId)

    await client.dial(target)
    const chunk = randomBytes(CHUNK)
    await sendOverStream(client, server.peerId, warmup, chunk, received)
    const mbps = []
    for (let run = 0; run < RUNS; run++) {
      const seconds = await sendOverStream(client, server.peerId, total, chunk, received)
      mbps.push(total / seconds / 1e6)
      log(`js run ${run + 1}: ${mbps[run].toFixed(1)} MB/s`)
    }
    process.stdout.write(JSON.stringify({
      jsMBps: Math.round(median(mbps) * 10) / 10,
      jsConnectMs: Math.round(connectMs * 100) / 100
    }) + '\n')
  } finally {
    await client.stop()
    await server.stop()
  }
}

main().then(() => process.exit(0), (err) => {
  log('failed:', err)
  process.exit(1)
})
