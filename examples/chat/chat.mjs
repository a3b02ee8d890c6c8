#!/usr/bin/env node
// A chat completion with the official `openai` SDK against Canopy's OpenAI-compatible face,
// streamed: the text is printed as the compute node generates it. Needs a devnet with a chat model
// (`./canopy devnet --model NAME=FILE.gguf`); CANOPY_CHAT_MODEL names it.
//
//   CANOPY_DEVNET='<the line `./canopy devnet --json` printed>' CANOPY_CHAT_MODEL=NAME npm start -- "PROMPT"
//
// Optional: MAX_TOKENS (default 128), TEMPERATURE (default 0.7; 0 is greedy), SEED (the same seed,
// prompt and parameters give the same text: Canopy's engine is deterministic).
// The answer goes to stdout; the model, finish reason and token counts to stderr.

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

function numberFromEnv (name, fallback) {
  const v = process.env[name]
  if (v == null || v === '') return fallback
  const n = Number(v)
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, not ${v}`)
  return n
}

async function main () {
  const d = devnet()
  const client = new OpenAI({ baseURL: d.openai, apiKey: d.apiKey })
  const model = process.env.CANOPY_CHAT_MODEL
  if (model == null || model === '') {
    const served = []
    for await (const m of client.models.list()) served.push(m.id)
    throw new Error(`set CANOPY_CHAT_MODEL to the chat model's name (the devnet serves: ${served.join(', ')}; ` +
      'start it with --model NAME=FILE.gguf for a chat model)')
  }
  const prompt = process.argv.slice(2).join(' ').trim() || 'Name a tree.'
  const seed = process.env.SEED != null && process.env.SEED !== '' ? numberFromEnv('SEED') : undefined

  const stream = await client.chat.completions.create({
    model,
    messages: [
      { role: 'system', content: 'You are a helpful, concise assistant.' },
      { role: 'user', content: prompt }
    ],
    max_tokens: numberFromEnv('MAX_TOKENS', 128),
    temperature: numberFromEnv('TEMPERATURE', 0.7),
    seed,
    stream: true,
    stream_options: { include_usage: true }
  })
  let finish = null
  let usage = null
  let text = ''
  for await (const chunk of stream) {
    const choice = chunk.choices[0]
    const piece = choice?.delta?.content
    if (piece) {
      text += piece
      process.stdout.write(piece)
    }
    if (choice?.finish_reason != null) finish = choice.finish_reason
    if (chunk.usage != null) usage = chunk.usage
  }
  process.stdout.write('\n')
  console.error(`[${model}: finish_reason ${finish}, ${usage?.prompt_tokens ?? '?'} prompt + ` +
    `${usage?.completion_tokens ?? '?'} completion tokens, ${text.length} characters]`)
}

main().catch(err => {
  console.error(`error: ${err.stack ?? err}`)
  process.exit(1)
})
