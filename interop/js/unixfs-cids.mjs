#!/usr/bin/env node
// Reference CIDs for Canopy's UnixFS importer interop tests.
//
// Reads a JSON array of cases on stdin:
//   [{ "id": "...", "path": "/abs/file-or-dir", "cidVersion": 0|1,
//      "rawLeaves": true|false|null, "chunkSize": 262144,
//      "layout": "balanced"|"trickle", "wrapWithDirectory": false }, ...]
// imports every case with ipfs-unixfs-importer configured the way Kubo's `ipfs add` builds DAGs,
// and prints one JSON object { "<id>": "<root CID>" } on stdout (the root is the last entry the
// importer yields, as with `ipfs add -r`).
//
// With --sizes the values are objects { "cid": "...", "size": <DAG cumulative size of the root> }.
//
// Kubo behaviour encoded here (go: boxo/ipld/unixfs/importer, boxo/ipld/unixfs/io, kubo core/coreunix):
//   * default CIDv0; `--cid-version 1` implies raw leaves unless `--raw-leaves=false`
//     (rawLeaves: null means "Kubo default", i.e. rawLeaves = cidVersion === 1);
//   * raw leaves are always CIDv1 'raw' blocks, even when the parents are CIDv0;
//   * fixed-size chunker, 256 KiB by default; 174 links per node for both layouts;
//   * balanced layout: non-raw leaves are UnixFS *File* nodes, a single-chunk file is its own leaf;
//   * trickle layout (layerRepeat 4): non-raw leaves are UnixFS *Raw* nodes and the root is always
//     a File node over its leaves, even for a single chunk (no reduction to the leaf);
//     an empty file is a File node without links (the importer drops the empty leaf link);
//   * directories switch to a HAMT (fanout 256, murmur3-x64-64) when the sum over entries of
//     (UTF-8 name length + CID byte length) is strictly greater than 262144 bytes ('links-bytes');
//   * `ipfs add -r DIR` names entries relative to DIR's parent, so DIR's basename is the first
//     path component; hidden entries (names starting with '.') are skipped as Kubo does without
//     --hidden; empty directories are kept; symlinks become UnixFS symlink nodes.
//
// After each import the produced directory DAG is re-read and checked against the HAMT rule
// above, so a divergence between this reference and Kubo's rule fails loudly instead of
// silently producing a wrong expected CID. Known divergence: ipfs-unixfs-importer 17.1.1 counts
// a sub-directory as 0 bytes while it decides (Kubo counts name + CID like any entry, since
// `ipfs add -r` creates the sub-directory link up front), so a directory that only crosses the
// threshold thanks to its sub-directories is rejected here rather than answered wrongly.

import { createReadStream } from 'node:fs'
import { lstat, readdir, readlink } from 'node:fs/promises'
import { basename, join } from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced, trickle } from 'ipfs-unixfs-importer/layout'
import * as raw from 'multiformats/codecs/raw'

const KUBO_MAX_LINKS = 174
const KUBO_DEFAULT_CHUNK = 262144
const KUBO_TRICKLE_LAYER_REPEAT = 4
const KUBO_HAMT_THRESHOLD = 262144
const KUBO_HAMT_FANOUT_BITS = 8

/** Keeps dag-pb blocks only (enough to re-read directories; raw leaves are never needed). */
class DagPbBlockstore {
  constructor () { this.blocks = new Map() }
  put (cid, bytes) {
    if (cid.code === dagPb.code) this.blocks.set(cid.toString(), bytes)
    return cid
  }
  get (cid) {
    const bytes = this.blocks.get(cid.toString())
    if (bytes == null) throw new Error(`block not kept: ${cid}`)
    return bytes
  }
  has (cid) { return this.blocks.has(cid.toString()) }
}

function kuboOptions (c) {
  const cidVersion = c.cidVersion ?? 0
  if (cidVersion !== 0 && cidVersion !== 1) throw new Error(`${c.id}: cidVersion must be 0 or 1`)
  const rawLeaves = c.rawLeaves ?? (cidVersion === 1)
  const chunkSize = c.chunkSize ?? KUBO_DEFAULT_CHUNK
  const layoutName = c.layout ?? 'balanced'
  const isTrickle = layoutName === 'trickle'
  if (!isTrickle && layoutName !== 'balanced') throw new Error(`${c.id}: unknown layout ${layoutName}`)
  return {
    cidVersion,
    rawLeaves,
    leafType: isTrickle ? 'raw' : 'file',
    reduceSingleLeafToSelf: !isTrickle,
    chunker: fixedSize({ chunkSize }),
    layout: isTrickle
      ? trickle({ maxChildrenPerNode: KUBO_MAX_LINKS, layerRepeat: KUBO_TRICKLE_LAYER_REPEAT })
      : balanced({ maxChildrenPerNode: KUBO_MAX_LINKS }),
    wrapWithDirectory: c.wrapWithDirectory === true,
    shardSplitStrategy: 'links-bytes',
    shardSplitThresholdBytes: KUBO_HAMT_THRESHOLD,
    shardFanoutBits: KUBO_HAMT_FANOUT_BITS,
    fieldOrder: 'links-first'
  }
}

function fileCandidate (path, fsPath, size) {
  // Small read buffers for small files: thousands of 1 MiB stream buffers only feed the GC.
  const highWaterMark = Math.max(1, Math.min(size, 1 << 20))
  return { path, content: createReadStream(fsPath, { highWaterMark }) }
}

/** Candidates for `ipfs add -r fsPath` in a stable (sorted) order; directories only when empty. */
async function * candidates (fsPath, path) {
  const st = await lstat(fsPath)
  if (st.isSymbolicLink()) {
    yield { path, link: await readlink(fsPath) }
  } else if (st.isDirectory()) {
    const names = (await readdir(fsPath)).filter(n => !n.startsWith('.')).sort()
    if (names.length === 0) {
      yield { path }
      return
    }
    for (const name of names) {
      yield * candidates(join(fsPath, name), `${path}/${name}`)
    }
  } else if (st.isFile()) {
    yield fileCandidate(path, fsPath, st.size)
  } else {
    throw new Error(`unsupported file type: ${fsPath}`)
  }
}

const utf8 = new TextEncoder()

/** Re-reads the directory DAG under `cid` and checks Kubo's links-bytes HAMT rule on every directory. */
function checkShardingRule (store, cid, where) {
  if (cid.code !== dagPb.code) return
  const node = dagPb.decode(store.get(cid))
  if (node.Data == null) return
  const fs = UnixFS.unmarshal(node.Data)
  if (fs.type === 'directory') {
    let size = 0
    for (const link of node.Links) {
      size += utf8.encode(link.Name ?? '').length + link.Hash.bytes.length
      checkShardingRule(store, link.Hash, `${where}/${link.Name}`)
    }
    if (size > KUBO_HAMT_THRESHOLD) {
      throw new Error(`reference diverges from Kubo: flat directory ${where} has links-bytes ${size} > ${KUBO_HAMT_THRESHOLD}`)
    }
  } else if (fs.type === 'hamt-sharded-directory') {
    const size = hamtEntries(store, node, where)
    if (size <= KUBO_HAMT_THRESHOLD) {
      throw new Error(`reference diverges from Kubo: sharded directory ${where} has links-bytes ${size} <= ${KUBO_HAMT_THRESHOLD}`)
    }
  }
}

/** Sum of (name + CID) bytes over the entries of a HAMT, descending into sub-shards and child dirs. */
function hamtEntries (store, node, where) {
  const fs = UnixFS.unmarshal(node.Data)
  const padLength = (Number(fs.fanout) - 1).toString(16).length
  let size = 0
  for (const link of node.Links) {
    const name = link.Name ?? ''
    if (name.length === padLength) {
      size += hamtEntries(store, dagPb.decode(store.get(link.Hash)), where)
    } else {
      const entry = name.slice(padLength)
      size += utf8.encode(entry).length + link.Hash.bytes.length
      checkShardingRule(store, link.Hash, `${where}/${entry}`)
    }
  }
  return size
}

async function importCase (c) {
  if (typeof c.id !== 'string' || typeof c.path !== 'string') {
    throw new Error(`case needs string id and path: ${JSON.stringify(c)}`)
  }
  const options = kuboOptions(c)
  const store = new DagPbBlockstore()
  let last
  for await (const entry of importer(candidates(c.path, basename(c.path)), store, options)) {
    last = entry
  }
  if (last == null) throw new Error(`${c.id}: nothing imported`)
  if (last.cid.code !== raw.code) checkShardingRule(store, last.cid, last.path ?? '')
  return { cid: last.cid.toString(), size: Number(last.size) }
}

async function readStdin () {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function main () {
  const withSizes = process.argv.includes('--sizes')
  const cases = JSON.parse(await readStdin())
  if (!Array.isArray(cases)) throw new Error('stdin must be a JSON array of cases')
  const out = {}
  for (const c of cases) {
    try {
      const r = await importCase(c)
      out[c.id] = withSizes ? r : r.cid
    } catch (err) {
      err.message = `case ${c?.id}: ${err.message}`
      throw err
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch(err => {
  process.stderr.write(`${err.stack ?? err}\n`)
  process.exit(1)
})
