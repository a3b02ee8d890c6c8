#!/usr/bin/env node
// Semantic search over a folder of text files with Canopy's OpenAI-compatible /v1/embeddings:
// embeds every .txt file in the folder (one request, a batch of inputs), embeds the query, and
// prints the files ranked by cosine similarity to it, best first. The embeddings are computed by
// the network's compute nodes (all-MiniLM-L6-v2, 384 dimensions), routed by the gateway.
//
//   CANOPY_DEVNET='<the line `./canopy devnet --json` printed>' npm start -- "QUERY" [FOLDER]
//
// FOLDER defaults to ./docs (five sample files). EMBEDDING_MODEL overrides the model name.

import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import OpenAI from 'openai'

function devnet () {
  const line = process.env.CANOPY_DEVNET
  if (line == null || line.trim() === '') {
    throw new Error("set CANOPY_DEVNET to the JSON line `./canopy devnet --json` printed (see examples/README.md)")
  }
  const d = JSON.parse(line)
  for (const key of ['openai', 'apiKey']) {
    if (typeof d[key] !== 'string' || d[key] === '') throw new Error(`CANOPY_DEVNET has no "${key}"`)
  }
  return d
}

function cosine (a, b) {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]
    na += a[i] * a[i]
    nb += b[i] * b[i]
  }
  return dot / Math.sqrt(na * nb)
}

async function main () {
  const [query, folderArg] = process.argv.slice(2)
  if (query == null || query.trim() === '') throw new Error('usage: npm start -- "QUERY" [FOLDER]')
  const folder = folderArg ?? join(fileURLToPath(new URL('.', import.meta.url)), 'docs')
  const model = process.env.EMBEDDING_MODEL ?? 'all-MiniLM-L6-v2'
  const d = devnet()
  // `openai` in the devnet's line is the base URL the SDK wants (it ends in /v1).
  const client = new OpenAI({ baseURL: d.openai, apiKey: d.apiKey })

  const names = (await readdir(folder)).filter(n => n.endsWith('.txt')).sort()
  if (names.length === 0) throw new Error(`no .txt files in ${folder}`)
  const texts = await Promise.all(names.map(n => readFile(join(folder, n), 'utf8')))

  // Documents in one batch; the answer's `index` says which input each vector belongs to.
  const docs = await client.embeddings.create({ model, input: texts, encoding_format: 'float' })
  const vectors = new Array(names.length)
  for (const e of docs.data) vectors[e.index] = e.embedding
  const [q] = (await client.embeddings.create({ model, input: query, encoding_format: 'float' })).data

  const ranked = names
    .map((name, i) => ({ name, score: cosine(q.embedding, vectors[i]) }))
    .sort((a, b) => b.score - a.score)
  console.log(`query: ${query}`)
  console.log(`${names.length} files in ${folder}, ${model} (${q.embedding.length} dimensions, ${docs.usage?.total_tokens ?? '?'} tokens)`)
  ranked.forEach((r, i) => console.log(`${String(i + 1).padStart(2)}. ${r.score.toFixed(4)}  ${r.name}`))
}

main().catch(err => {
  console.error(`error: ${err.stack ?? err}`)
  process.exit(1)
})
