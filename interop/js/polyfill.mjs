// Node 20 lacks Promise.withResolvers (added in Node 22), which libp2p 3.x calls at run time.
// Import this module before anything from libp2p (or run node with `--import ./js/polyfill.mjs`).
Promise.withResolvers ??= function () {
  let resolve, reject
  const promise = new Promise((a, b) => {
    resolve = a
    reject = b
  })
  return { promise, resolve, reject }
}
