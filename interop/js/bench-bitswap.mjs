#!/usr/bin/env node
// Loopback Bitswap benchmark of Helia, the counterpart of Canopy's BitswapBenchMain
// (bench/bitswap.sh runs both on the same files): a provider Helia node in a child process
// (js/helia-peer.mjs) imports the file; a fetcher Helia node in this process dials it and reads
// the file with @helia/unixfs cat, every block coming over Bitswap 1.2.0. Two processes, so each
// side has its own event loop, as two Canopy nodes have their own threads.
//
//   node js/bench-bitswap.mjs FILE WARMUP_FILE [RUNS=3]
//
// Both files are imported as CIDv1, raw leaves, 262144-byte chunks, 174 links per node (the same
// DAG as Canopy's side). WARMUP_FILE is fetched once, untimed. Each timed run uses a new fetcher
// node (empty in-memory blockstore) that dials the provider, then times cat from the call to the
// last byte. Prints one JSON line on stdout: {"heliaMBps":..,"runsMBps":[..],"bytes":..}
// (MB = 10^6 bytes, median of RUNS); progress goes to stderr.

import './polyfill.mjs'
import { spawn } from 'node:child_process'
import { setMaxListeners } from 'node:events'
import { stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { unixfs } from '@helia/unixfs'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { createMinimalHelia, dialAndIdentify } from './helia-peer.mjs'

const TIMEOUT_MS = 600_000
const IMPORT = { cidVersion: 1, rawLeaves: true, chunkSize: 262_144, maxLinks: 174 }

const log = (...args) => console.error('[bench-bitswap]', ...args)

function median (values) {
  const s = [...values].sort((a, b) => a - b)
  const n = s.length
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

/** js/helia-peer.mjs in a child process, one command at a time. */
async function startProvider () {
  const script = fileURLToPath(new URL('./helia-peer.mjs', import.meta.url))
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async () => {
    const { value, done } = await lines.next()
    if (done) throw new Error('the provider process exited')
    return JSON.parse(value)
  }
  const ready = await next()
  return {
    addr: ready.addrs[0],
    async command (cmd) {
      child.stdin.write(JSON.stringify(cmd) + '\n')
      const answer = await next()
      if (!answer.ok) throw new Error(`provider: ${cmd.cmd} failed: ${answer.error}`)
      return answer
    },
    async stop () {
      child.stdin.end()
      await new Promise((resolve) => child.once('exit', resolve))
    }
  }
}

/** Seconds for a fresh fetcher node to cat the whole file from the provider. */
async function fetchOnce (providerAddr, cid, expectedBytes) {
  const helia = await createMinimalHelia()
  try {
    const signal = AbortSignal.timeout(TIMEOUT_MS)
    setMaxListeners(Infinity, signal) // shared by every block fetch of the cat
    await dialAndIdentify(helia.libp2p, multiaddr(providerAddr), signal)
    const fs = unixfs(helia)
    const start = performance.now()
    let bytes = 0
    for await (const chunk of fs.cat(CID.parse(cid), { signal })) {
      bytes += chunk.byteLength
    }
    const seconds = (performance.now() - start) / 1000
    if (bytes !== expectedBytes) throw new Error(`cat returned ${bytes} of ${expectedBytes} bytes`)
    return seconds
  } finally {
    await helia.stop()
  }
}

async function main () {
  const [file, warmupFile, runsArg] = process.argv.slice(2)
  if (file == null || warmupFile == null) {
    throw new Error('usage: node js/bench-bitswap.mjs FILE WARMUP_FILE [RUNS=3]')
  }
  const runs = Number.parseInt(runsArg ?? '3', 10)
  const provider = await startProvider()
  try {
    const warm = await provider.command({ cmd: 'add', path: warmupFile, ...IMPORT, timeoutMs: TIMEOUT_MS })
    const data = await provider.command({ cmd: 'add', path: file, ...IMPORT, timeoutMs: TIMEOUT_MS })
    log(`provider imported ${data.bytes} bytes as ${data.cid} in ${data.ms} ms`)
    await fetchOnce(provider.addr, warm.cid, (await stat(warmupFile)).size)
    const mbps = []
    for (let run = 0; run < runs; run++) {
      const seconds = await fetchOnce(provider.addr, data.cid, data.bytes)
      mbps.push(data.bytes / seconds / 1e6)
      log(`helia run ${run + 1}: ${mbps[run].toFixed(1)} MB/s`)
    }
    console.log(JSON.stringify({ heliaMBps: Math.round(median(mbps) * 10) / 10, runsMBps: mbps.map((v) => Math.round(v * 10) / 10), bytes: data.bytes }))
  } finally {
    await provider.stop()
  }
}

main().then(() => process.exit(0), (err) => {
  log('failed:', err)
  process.exit(1)
})
