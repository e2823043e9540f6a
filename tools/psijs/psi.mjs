// Runs OpenMined's @openmined/psi.js (2.0.6, WASM; ECDH over P-256 with
// PJC's ECCommutativeCipher) client and server in this one process on two
// key files (one key per line, as `xborder bench psi --psijs` writes them):
// the first file is the client's set (the party that learns the result), the
// second the server's.
//
//	node tools/psijs/psi.mjs [--reveal] [--setup raw,gcs] [--fpr 1e-9] CLIENT_KEYS SERVER_KEYS
//
// The client's request and the server's response (the 2n scalar
// multiplications they cost) are computed once; then, for each --setup data
// structure, the server's setup message (n more multiplications) and the
// client's final step (decrypting the response, n more, and the look-up) are
// timed separately. Each entry of "results" is therefore one complete run:
// total_ms = setup_ms + request_ms + response_ms + intersect_ms; cpu_ms is
// the process CPU time of the same four steps (the wall time on a shared
// machine also counts waiting for a core).
//
// Prints one JSON object on stdout:
//
//	{"client_size", "server_size", "reveal", "node", "psijs",
//	 "results": [{"setup", "size", "setup_ms", "request_ms", "response_ms",
//	              "intersect_ms", "total_ms", "cpu_ms", "bytes", "setup_bytes",
//	              "request_bytes", "response_bytes", "fpr"}]}
//
// "size" is the intersection size (cardinality; with --reveal, the length of
// the revealed intersection). "fpr" is psi.js's false-positive rate for the
// whole client set (it divides it by the client's size per element); the raw
// setup is exact and reports 0. A setup that psi.js fails on is reported as
// {"setup", "fpr", "error"}. Everything is single-threaded (WASM).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

const require = createRequire(import.meta.url)

function usage(msg) {
  process.stderr.write(`psi.mjs: ${msg}\nusage: node psi.mjs [--reveal] [--setup raw,gcs,bloom] [--fpr 1e-9] CLIENT_KEYS SERVER_KEYS\n`)
  process.exit(2)
}

const args = process.argv.slice(2)
let reveal = false
let setups = ['raw', 'gcs']
let fpr = 1e-9
const files = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  if (a === '--reveal') reveal = true
  else if (a === '--setup') setups = (args[++i] ?? usage('--setup needs a value')).split(',')
  else if (a === '--fpr') fpr = Number(args[++i] ?? usage('--fpr needs a value'))
  else if (a.startsWith('--')) usage(`unknown flag ${a}`)
  else files.push(a)
}
if (files.length !== 2) usage('want two key files')
if (!(fpr > 0 && fpr < 1)) usage(`--fpr ${fpr}: want 0 < fpr < 1`)
for (const s of setups) if (!['raw', 'gcs', 'bloom'].includes(s)) usage(`unknown setup ${s}: want raw, gcs or bloom`)

function readKeys(path) {
  let text
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    process.stderr.write(`psi.mjs: reading ${path}: ${err.message}\n`)
    process.exit(1)
  }
  const keys = text.split('\n')
  if (keys.length > 0 && keys[keys.length - 1] === '') keys.pop()
  return keys
}

const clientKeys = readKeys(files[0])
const serverKeys = readKeys(files[1])

let PSI
try {
  PSI = require('@openmined/psi.js')
} catch (err) {
  process.stderr.write(`psi.mjs: @openmined/psi.js is not installed (run: npm ci --ignore-scripts --prefix tools/psijs): ${err.message}\n`)
  process.exit(3)
}
const psi = await PSI()
const version = require('@openmined/psi.js/package.json').version

const ms = (t0) => performance.now() - t0
// CPU time of this process in ms (user + system): on a shared machine the
// wall time includes waiting for a core; this does not.
const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const server = psi.server.createWithNewKey(reveal)
const client = psi.client.createWithNewKey(reveal)

let t0 = performance.now()
let c0 = cpu()
const request = client.createRequest(clientKeys).serializeBinary()
const requestMs = ms(t0)
const requestCPU = cpu() - c0

t0 = performance.now()
c0 = cpu()
const response = server.processRequest(psi.request.deserializeBinary(request)).serializeBinary()
const responseMs = ms(t0)
const responseCPU = cpu() - c0

const ds = { raw: psi.dataStructure.Raw, gcs: psi.dataStructure.GCS, bloom: psi.dataStructure.BloomFilter }
const results = []
for (const s of setups) {
  try {
    results.push(run(s))
  } catch (err) {
    // psi.js 2.0.6's GCS setup cannot be serialised once its hash range
    // (client size x server size / fpr) passes 2^63: google-protobuf's int64
    // writer asserts (seen at 2^18 x 2^18 with fpr 1e-9). Report the setup
    // as failed and go on with the others.
    let msg = `psi.js ${s} setup: ${err?.message ?? err}`
    const range = (clientKeys.length * serverKeys.length) / fpr
    if (s === 'gcs' && range >= 2 ** 63) msg += ` (its hash range, client size x server size / fpr = ${range.toExponential(2)}, passes 2^63)`
    results.push({ setup: s, fpr: s === 'raw' ? 0 : fpr, error: msg })
  }
}

function run(s) {
  let t0 = performance.now()
  let c0 = cpu()
  const setup = server.createSetupMessage(fpr, clientKeys.length, serverKeys, ds[s]).serializeBinary()
  const setupMs = ms(t0)
  const setupCPU = cpu() - c0

  t0 = performance.now()
  c0 = cpu()
  const setupMsg = psi.serverSetup.deserializeBinary(setup)
  const responseMsg = psi.response.deserializeBinary(response)
  const size = reveal
    ? client.getIntersection(setupMsg, responseMsg).length
    : client.getIntersectionSize(setupMsg, responseMsg)
  const intersectMs = ms(t0)
  const intersectCPU = cpu() - c0

  return {
    setup: s,
    size,
    setup_ms: setupMs,
    request_ms: requestMs,
    response_ms: responseMs,
    intersect_ms: intersectMs,
    total_ms: setupMs + requestMs + responseMs + intersectMs,
    cpu_ms: setupCPU + requestCPU + responseCPU + intersectCPU,
    bytes: setup.length + request.length + response.length,
    setup_bytes: setup.length,
    request_bytes: request.length,
    response_bytes: response.length,
    fpr: s === 'raw' ? 0 : fpr,
  }
}
server.delete()
client.delete()

process.stdout.write(JSON.stringify({
  client_size: clientKeys.length,
  server_size: serverKeys.length,
  reveal,
  node: process.version,
  psijs: version,
  results,
}) + '\n')
