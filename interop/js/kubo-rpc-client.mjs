#!/usr/bin/env node
// Drives a Kubo RPC endpoint with kubo-rpc-client, unchanged, and prints what it got next to the
// CIDs ipfs-unixfs-importer makes for the same content, for KuboRpcClientInteropTest.
//
//   node js/kubo-rpc-client.mjs <rpc-url> <dir>
//
// <dir> holds blob.bin (a file) and tree/ (a folder, nested, with an empty sub-folder). The
// script runs version, id, add (bytes: CIDv0 defaults, and CIDv1 with a 64 KiB chunker), addAll of
// tree/ through the client's globSource, cat, pin.ls, block.put/get/stat, then prints one JSON
// object on stdout; the Java test makes the assertions. Any failure: message on stderr, exit 1.

import { readFile, readdir, lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { create, globSource } from 'kubo-rpc-client'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { MemoryBlockstore } from 'blockstore-core'

const KUBO_MAX_LINKS = 174

/** ipfs-unixfs-importer set up as Kubo's `ipfs add` (see unixfs-cids.mjs for the reasons). */
function kuboOptions ({ cidVersion = 0, chunkSize = 262144 } = {}) {
  return {
    cidVersion,
    rawLeaves: cidVersion === 1,
    leafType: 'file',
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize }),
    layout: balanced({ maxChildrenPerNode: KUBO_MAX_LINKS }),
    shardSplitStrategy: 'links-bytes',
    shardSplitThresholdBytes: 262144,
    fieldOrder: 'links-first'
  }
}

/** path → CID of every entry the reference importer yields. */
async function reference (candidates, options) {
  const out = {}
  for await (const entry of importer(candidates, new MemoryBlockstore(), options)) {
    out[entry.path] = entry.cid.toString()
  }
  return out
}

/** `ipfs add -r` candidates for the folder at fsPath, named from `name`; empty folders as entries. */
async function * tree (fsPath, name) {
  const st = await lstat(fsPath)
  if (st.isDirectory()) {
    const children = (await readdir(fsPath)).filter(n => !n.startsWith('.')).sort()
    if (children.length === 0) yield { path: name }
    for (const child of children) yield * tree(join(fsPath, child), `${name}/${child}`)
  } else {
    yield { path: name, content: await readFile(fsPath) }
  }
}

async function concat (source) {
  const chunks = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function main () {
  const [url, dir] = process.argv.slice(2)
  if (url == null || dir == null) throw new Error('usage: kubo-rpc-client.mjs <rpc-url> <dir>')
  const ipfs = create({ url })
  const blob = await readFile(join(dir, 'blob.bin'))
  const out = {}

  const version = await ipfs.version()
  out.version = { version: version.version, system: version.system }
  const id = await ipfs.id()
  out.id = { id: id.id.toString(), agentVersion: id.agentVersion, addresses: id.addresses.map(String) }

  const added = await ipfs.add(blob)
  const addedV1 = await ipfs.add(blob, { cidVersion: 1, chunker: 'size-65536' })
  out.add = {
    cid: added.cid.toString(),
    path: added.path,
    size: added.size,
    expected: Object.values(await reference([{ content: blob }], kuboOptions())).pop(),
    cidV1: addedV1.cid.toString(),
    expectedV1: Object.values(await reference([{ content: blob }], kuboOptions({ cidVersion: 1, chunkSize: 65536 }))).pop()
  }
  out.cat = { equal: Buffer.compare(await concat(ipfs.cat(added.cid)), blob) === 0 }
  const part = await concat(ipfs.cat(added.cid, { offset: 300000, length: 1000 }))
  out.cat.rangeEqual = Buffer.compare(part, blob.subarray(300000, 301000)) === 0

  const dirEntries = {}
  for await (const entry of ipfs.addAll(globSource(dir, 'tree/**/*'))) {
    dirEntries[entry.path] = entry.cid.toString()
  }
  out.addAll = {
    entries: dirEntries,
    expected: await reference(tree(join(dir, 'tree'), 'tree'), kuboOptions())
  }
  const treeRoot = dirEntries.tree
  if (treeRoot != null) {
    out.addAll.catNested = (await concat(ipfs.cat(`/ipfs/${treeRoot}/sub/deep/c.txt`))).toString('utf8')
  }

  const pins = []
  for await (const pin of ipfs.pin.ls({ type: 'recursive' })) pins.push({ cid: pin.cid.toString(), type: pin.type })
  out.pins = pins

  const blockBytes = Buffer.from('a block put through kubo-rpc-client')
  const blockCid = await ipfs.block.put(blockBytes)
  const got = await ipfs.block.get(blockCid)
  const stat = await ipfs.block.stat(blockCid)
  out.block = {
    cid: blockCid.toString(),
    getEqual: Buffer.compare(Buffer.from(got), blockBytes) === 0,
    statCid: stat.cid.toString(),
    statSize: stat.size,
    size: blockBytes.length
  }
  const pbCid = await ipfs.block.put(Uint8Array.from([0x0a, 0x02, 0x08, 0x01]), { format: 'dag-pb' })
  out.block.dagPb = pbCid.toString()

  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch(err => {
  process.stderr.write(`${err.stack ?? err}\n`)
  process.exit(1)
})
