// Runs the js-ipfs CLI (`jsipfs`, npm `ipfs` 0.66.1, pinned by package-lock.json) under Node 20:
//   node daemon.mjs daemon --offline --init-config <file> ...
// is `jsipfs daemon --offline --init-config <file> ...`. The only thing added is the polyfill below,
// loaded before js-ipfs: its dependencies (it-queue via mortice) call Promise.withResolvers, which
// Node 20 lacks (Node 22 has it). The Java side (KuboRpcJsIpfsDaemon) sets IPFS_PATH to a fresh
// temporary folder and reads the "HTTP API listening on <multiaddr>" line from stdout.
Promise.withResolvers ??= function () {
  let resolve, reject
  const promise = new Promise((a, b) => {
    resolve = a
    reject = b
  })
  return { promise, resolve, reject }
}

await import('./node_modules/ipfs/src/cli.js')
