#!/usr/bin/env node
// Canopy from a Node.js app with two clients it already knows: the AWS SDK for JavaScript v3
// puts an object through Canopy's S3 face (the gateway stores it as IPFS content and returns its
// CID as the object's x-amz-meta-cid), then kubo-rpc-client reads the same bytes back by CID
// through the Kubo RPC API, stats the root block and asks whether it is pinned.
//
//   CANOPY_DEVNET='<the line `./canopy devnet --json` printed>' npm start [FILE]
//
// FILE (optional) is uploaded as is; without it the app uploads a short generated text.

import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3'
import { create } from 'kubo-rpc-client'

/** The devnet's endpoints and keys: the JSON line `canopy devnet --json` prints. */
function devnet () {
  const line = process.env.CANOPY_DEVNET
  if (line == null || line.trim() === '') {
    throw new Error("set CANOPY_DEVNET to the JSON line `./canopy devnet --json` printed (see examples/README.md)")
  }
  const d = JSON.parse(line)
  for (const key of ['s3', 'accessKeyId', 'secretAccessKey', 'rpc']) {
    if (typeof d[key] !== 'string' || d[key] === '') throw new Error(`CANOPY_DEVNET has no "${key}"`)
  }
  return d
}

async function concat (source) {
  const chunks = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function main () {
  const d = devnet()
  const file = process.argv[2]
  const body = file != null
    ? await readFile(file)
    : Buffer.from(`Hello from the Canopy node-app example, ${new Date().toISOString()}\n`)
  const Bucket = process.env.BUCKET ?? 'node-app-example'
  const Key = file != null ? basename(file) : 'hello.txt'

  // 1. S3: path-style addressing (bucket in the path), any region name; the gateway checks SigV4.
  const s3 = new S3Client({
    endpoint: d.s3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: d.accessKeyId, secretAccessKey: d.secretAccessKey }
  })
  try {
    await s3.send(new CreateBucketCommand({ Bucket }))
    console.log(`created bucket ${Bucket}`)
  } catch (e) {
    if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e
  }
  const put = await s3.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentType: 'application/octet-stream' }))
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key }))
  const cid = head.Metadata?.cid
  if (cid == null) throw new Error(`HeadObject s3://${Bucket}/${Key} returned no x-amz-meta-cid: ${JSON.stringify(head.Metadata)}`)
  console.log(`put s3://${Bucket}/${Key} (${body.length} bytes, ETag ${put.ETag})`)
  console.log(`cid ${cid}`)
  const viaS3 = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body.transformToByteArray())
  if (!viaS3.equals(body)) throw new Error('GetObject returned other bytes than were put')

  // 2. Kubo RPC: the same content, by CID.
  const ipfs = create({ url: d.rpc })
  const version = await ipfs.version()
  console.log(`kubo rpc ${d.rpc}: ${version.version} (${version.repo})`)
  const viaRpc = await concat(ipfs.cat(cid))
  if (!viaRpc.equals(body)) throw new Error(`cat ${cid} returned ${viaRpc.length} bytes that differ from the ${body.length} put`)
  console.log(`cat ${cid}: ${viaRpc.length} bytes, identical to what was put`)

  // The CID Kubo's `ipfs add` gives the same bytes (computed by the node, nothing stored): S3
  // objects are ordinary UnixFS files with Kubo's default options.
  const hashed = await ipfs.add(body, { onlyHash: true, pin: false })
  console.log(`add --only-hash: ${hashed.cid} (${hashed.cid.toString() === cid ? 'same CID' : 'DIFFERENT CID'})`)

  const stat = await ipfs.block.stat(cid)
  console.log(`block stat ${stat.cid}: ${stat.size} bytes in the root block`)
  try {
    for await (const pin of ipfs.pin.ls({ paths: [cid] })) console.log(`pin ${pin.cid} ${pin.type}`)
  } catch (e) {
    // The gateway need not pin an object itself: storage deals keep it on the storage nodes.
    console.log(`pin ls ${cid}: ${e.message}`)
  }
  if (hashed.cid.toString() !== cid) throw new Error(`the S3 CID ${cid} is not the CID of the bytes (${hashed.cid})`)
  console.log('ok')
}

main().catch(err => {
  console.error(`error: ${err.stack ?? err}`)
  process.exit(1)
})
