#!/usr/bin/env node
// The AWS SDK for JavaScript v3 (@aws-sdk/client-s3 + @aws-sdk/lib-storage) against Canopy's S3
// gateway, for S3ClientsInteropTest. Runs once and prints one JSON object on stdout.
//
// Reads a JSON object on stdin:
//   { "endpoint": "http://127.0.0.1:P", "accessKeyId": "...", "secretAccessKey": "...",
//     "bucket": "sdk-bucket", "small": "/abs/file", "large": "/abs/file" }
// and does, in order: CreateBucket; PutObject of `small` from a Buffer and again from a stream
// (the SDK's default checksum: CRC32 in a header, then in an aws-chunked trailer); GetObject with
// a Range; HeadObject; ListObjectsV2 with a Delimiter; an `Upload` of `large` in 5 MiB parts
// (multipart); GetObject of it whole; DeleteObjects; GetObject in a bucket that does not exist;
// DeleteBucket. Byte checks are left to the caller: the output carries SHA-256 digests and the
// ranged bytes in hex. An unexpected failure exits with code 1 and the error on stderr.

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'

const PART_SIZE = 5 * 1024 * 1024

async function readStdin () {
  const chunks = []
  for await (const chunk of process.stdin) {
    chunks.push(chunk)
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')

async function bodyBytes (response) {
  return Buffer.from(await response.Body.transformToByteArray())
}

const errorOf = (e) => ({ name: e.name, httpStatusCode: e.$metadata?.httpStatusCode ?? null, message: e.message })

const input = await readStdin()
const client = new S3Client({
  endpoint: input.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey },
  maxAttempts: 1
})
const Bucket = input.bucket
const out = {}

out.createBucket = (await client.send(new CreateBucketCommand({ Bucket }))).$metadata.httpStatusCode

const small = await readFile(input.small)
const putBuffer = await client.send(new PutObjectCommand({
  Bucket, Key: 'docs/buffer.bin', Body: small, ContentType: 'application/x-canopy-test'
}))
out.putBuffer = { etag: putBuffer.ETag, checksumCRC32: putBuffer.ChecksumCRC32 ?? null }

// A stream body of known length: the SDK sends it aws-chunked, its CRC32 in a trailer.
const putStream = await client.send(new PutObjectCommand({
  Bucket, Key: 'docs/stream.bin', Body: createReadStream(input.small), ContentLength: (await stat(input.small)).size
}))
out.putStream = { etag: putStream.ETag, checksumCRC32: putStream.ChecksumCRC32 ?? null }
out.streamSha256 = sha256(await bodyBytes(await client.send(new GetObjectCommand({ Bucket, Key: 'docs/stream.bin' }))))

const ranged = await client.send(new GetObjectCommand({ Bucket, Key: 'docs/buffer.bin', Range: 'bytes=10-99' }))
out.range = {
  httpStatusCode: ranged.$metadata.httpStatusCode,
  contentRange: ranged.ContentRange ?? null,
  contentLength: ranged.ContentLength ?? null,
  hex: (await bodyBytes(ranged)).toString('hex')
}

const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'docs/buffer.bin' }))
out.head = {
  contentLength: head.ContentLength,
  contentType: head.ContentType,
  etag: head.ETag,
  metadata: head.Metadata ?? {}
}

const upload = new Upload({
  client,
  params: { Bucket, Key: 'big/upload.bin', Body: createReadStream(input.large) },
  partSize: PART_SIZE,
  queueSize: 2
})
const uploaded = await upload.done()
out.upload = { etag: uploaded.ETag, key: uploaded.Key }
const big = await client.send(new GetObjectCommand({ Bucket, Key: 'big/upload.bin' }))
out.uploadCid = big.Metadata?.cid ?? null
out.uploadSha256 = sha256(await bodyBytes(big))

const listed = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }))
out.listRoot = {
  keys: (listed.Contents ?? []).map(o => o.Key),
  commonPrefixes: (listed.CommonPrefixes ?? []).map(p => p.Prefix),
  keyCount: listed.KeyCount
}
const listedDocs = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'docs/', Delimiter: '/' }))
out.listDocs = {
  keys: (listedDocs.Contents ?? []).map(o => o.Key),
  sizes: (listedDocs.Contents ?? []).map(o => o.Size),
  commonPrefixes: (listedDocs.CommonPrefixes ?? []).map(p => p.Prefix)
}

const deleted = await client.send(new DeleteObjectsCommand({
  Bucket,
  Delete: { Objects: ['docs/buffer.bin', 'docs/stream.bin', 'big/upload.bin'].map(Key => ({ Key })) }
}))
out.deleteObjects = {
  deleted: (deleted.Deleted ?? []).map(d => d.Key).sort(),
  errors: (deleted.Errors ?? []).map(e => ({ key: e.Key, code: e.Code }))
}
out.listAfterDelete = ((await client.send(new ListObjectsV2Command({ Bucket }))).Contents ?? []).map(o => o.Key)

try {
  await client.send(new GetObjectCommand({ Bucket: Bucket + '-missing', Key: 'nothing' }))
  out.missingBucket = null
} catch (e) {
  out.missingBucket = errorOf(e)
}

out.deleteBucket = (await client.send(new DeleteBucketCommand({ Bucket }))).$metadata.httpStatusCode

process.stdout.write(JSON.stringify(out) + '\n')
