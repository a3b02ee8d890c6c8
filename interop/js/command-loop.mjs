// The stdin side of the JSON-lines protocol shared by helia-peer.mjs and libp2p-peer.mjs (each
// documents its commands at its top): prints the ready line, then reads newline-delimited JSON
// commands on stdin, runs them one at a time in arrival order and answers each with exactly one
// JSON line (a command's "id", if any, is copied into its answer). {"cmd":"stop"} stops the node,
// answers and exits 0; so do a closed stdin, SIGTERM and SIGINT. A failing command answers
// {"ok":false,"error":"..."} and the process keeps running.

import { createInterface } from 'node:readline'

// Bound before the peers redirect console output: stdout carries the protocol only.
const stdoutWrite = process.stdout.write.bind(process.stdout)

/** Writes one JSON line on stdout. */
export function answer (obj) {
  stdoutWrite(JSON.stringify(obj) + '\n')
}

/** An error as answer text, with the causes of an AggregateError. */
export function describe (err) {
  if (err == null) return 'unknown error'
  let text = err.name != null && err.name !== 'Error' ? `${err.name}: ${err.message}` : String(err.message ?? err)
  if (Array.isArray(err.errors) && err.errors.length > 0) {
    text += ' [' + err.errors.map(describe).join('; ') + ']'
  }
  return text
}

/**
 * @param {object} options
 * @param {object} options.ready - the ready line ({peerId, addrs, protocols})
 * @param {Record<string, (cmd: object) => Promise<object>>} options.commands - handlers by "cmd";
 *   each returns the answer's fields besides "ok" and "id"
 * @param {() => Promise<void>} options.stop - stops the node
 * @param {(...args: unknown[]) => void} options.log - logs to stderr
 */
export function runCommandLoop ({ ready, commands, stop, log }) {
  let stopping = false
  async function shutdown (code) {
    if (stopping) return
    stopping = true
    try {
      await stop()
    } catch (err) {
      log('stop failed:', describe(err))
    }
    process.exit(code)
  }

  async function run (line) {
    let cmd
    try {
      cmd = JSON.parse(line)
    } catch (err) {
      answer({ ok: false, error: `bad JSON: ${describe(err)}` })
      return
    }
    const id = cmd?.id !== undefined ? { id: cmd.id } : {}
    if (cmd?.cmd === 'stop') {
      try {
        await stop()
        answer({ ok: true, ...id })
      } catch (err) {
        answer({ ok: false, error: describe(err), ...id })
      }
      stopping = true
      process.exit(0)
    }
    const handler = commands[cmd?.cmd]
    if (handler == null) {
      answer({ ok: false, error: `unknown command ${JSON.stringify(cmd?.cmd)}`, ...id })
      return
    }
    try {
      answer({ ok: true, ...id, ...(await handler(cmd)) })
    } catch (err) {
      log(`${cmd.cmd} failed:`, err)
      answer({ ok: false, error: describe(err), ...id })
    }
  }

  answer(ready)

  // One command at a time, in arrival order, so answers come back in command order.
  let queue = Promise.resolve()
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  lines.on('line', (line) => {
    if (line.trim() === '') return
    queue = queue.then(() => run(line))
  })
  lines.on('close', () => {
    queue = queue.then(() => shutdown(0))
  })
  process.on('SIGTERM', () => { shutdown(0) })
  process.on('SIGINT', () => { shutdown(0) })
}
