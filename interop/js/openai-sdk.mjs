#!/usr/bin/env node
// Drives Canopy's OpenAI-compatible API with the official `openai` npm SDK, unchanged, and prints
// what it got, for OpenAiSdkInteropTest.
//
//   node js/openai-sdk.mjs <baseURL> <apiKey> <chatModel>
//
// <baseURL> ends in /v1. The script lists models, runs a chat completion plain and streamed (with
// stream_options.include_usage), a legacy completion plain and streamed, embeddings (floats, the
// SDK's default base64 which it decodes itself, and explicit base64), and one request for an
// unknown model, then prints one JSON object on stdout; the Java test makes the assertions. Any
// failure: message on stderr, exit 1.

import OpenAI from 'openai'

const EMBEDDING_MODEL = 'all-MiniLM-L6-v2'
const CHAT_MESSAGES = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Name a tree.' }
]

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
  const [baseURL, apiKey, model] = process.argv.slice(2)
  if (baseURL == null || apiKey == null || model == null) {
    throw new Error('usage: openai-sdk.mjs <baseURL> <apiKey> <chatModel>')
  }
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 })
  const out = {}

  const models = []
  for await (const m of client.models.list()) models.push(m.id)
  out.models = models

  const chat = await client.chat.completions.create({ model, messages: CHAT_MESSAGES, max_tokens: 12, temperature: 0 })
  out.chat = {
    id: chat.id,
    object: chat.object,
    model: chat.model,
    content: chat.choices[0]?.message?.content ?? null,
    role: chat.choices[0]?.message?.role ?? null,
    finishReason: chat.choices[0]?.finish_reason ?? null,
    usage: chat.usage ?? null
  }

  const chatStream = await client.chat.completions.create({
    model,
    messages: CHAT_MESSAGES,
    max_tokens: 12,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true }
  })
  let content = ''
  let finishReason = null
  let usage = null
  let chunks = 0
  let role = null
  for await (const chunk of chatStream) {
    chunks++
    const choice = chunk.choices?.[0]
    if (choice?.delta?.role != null) role = choice.delta.role
    if (choice?.delta?.content != null) content += choice.delta.content
    if (choice?.finish_reason != null) finishReason = choice.finish_reason
    if (chunk.usage != null) usage = chunk.usage
  }
  out.chatStream = { content, role, finishReason, usage, chunks }

  const completion = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 12, temperature: 0 })
  out.completion = {
    object: completion.object,
    text: completion.choices[0]?.text ?? null,
    finishReason: completion.choices[0]?.finish_reason ?? null,
    usage: completion.usage ?? null
  }

  const completionStream = await client.completions.create({
    model,
    prompt: 'Once upon a time',
    max_tokens: 12,
    temperature: 0,
    stream: true
  })
  let text = ''
  let completionFinish = null
  for await (const chunk of completionStream) {
    const choice = chunk.choices?.[0]
    if (choice?.text != null) text += choice.text
    if (choice?.finish_reason != null) completionFinish = choice.finish_reason
  }
  out.completionStream = { text, finishReason: completionFinish }

  const inputs = ['a cat sat on the mat', 'a kitten rested on the rug', 'quarterly tax filing deadline']
  const embedded = await client.embeddings.create({ model: EMBEDDING_MODEL, input: inputs })
  const vectors = embedded.data.slice().sort((a, b) => a.index - b.index).map(d => d.embedding)
  out.embeddings = {
    model: embedded.model,
    count: embedded.data.length,
    lengths: vectors.map(v => v.length),
    catKitten: cosine(vectors[0], vectors[1]),
    catTax: cosine(vectors[0], vectors[2]),
    kittenTax: cosine(vectors[1], vectors[2]),
    usage: embedded.usage ?? null
  }

  // encoding_format: the SDK asks for base64 on the wire when none is given and decodes it into
  // floats itself; an explicit 'base64' comes back as the wire's string (decoded here,
  // little-endian float32 as OpenAI sends it), an explicit 'float' as a JSON array.
  const one = inputs[0]
  const asFloat = await client.embeddings.create({ model: EMBEDDING_MODEL, input: one, encoding_format: 'float' })
  const asDefault = await client.embeddings.create({ model: EMBEDDING_MODEL, input: one })
  const asBase64 = await client.embeddings.create({ model: EMBEDDING_MODEL, input: one, encoding_format: 'base64' })
  const f = asFloat.data[0].embedding
  const d = asDefault.data[0].embedding
  const raw = asBase64.data[0].embedding
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'base64') : null
  const b = bytes == null
    ? raw
    : Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4))
  out.base64 = {
    floatIsArray: Array.isArray(f),
    defaultDecoded: d instanceof Float32Array || Array.isArray(d),
    explicitIsString: typeof raw === 'string',
    floatLength: f.length,
    defaultLength: d.length,
    base64Length: b.length,
    floatFirst: Array.from(f.slice(0, 3)),
    defaultFirst: Array.from(d.slice(0, 3)),
    base64First: Array.from(b.slice(0, 3))
  }

  try {
    await client.chat.completions.create({ model: 'no-such-model', messages: CHAT_MESSAGES, max_tokens: 4 })
    out.unknownModel = { thrown: false }
  } catch (err) {
    out.unknownModel = {
      thrown: true,
      name: err?.constructor?.name ?? null,
      status: err.status ?? null,
      code: err.error?.code ?? err.code ?? null,
      type: err.error?.type ?? err.type ?? null,
      message: err.message ?? null
    }
  }

  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch(err => {
  console.error(err?.stack ?? String(err))
  process.exit(1)
})
