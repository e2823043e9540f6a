#!/usr/bin/env node
// Usage: node bench.mjs [-n N] [--warmup W] [--json] FILE
//
// Verifies the credential in FILE N times (default 1000) in one process (sequentially, one
// core; same loader and suites as verify.mjs) after W warm-up runs (default
// 300: V8 needs a few hundred runs before the rate settles), and
// prints verifications per second. Every run must verify, else exit 1.
// With --json prints {"n", "seconds", "perSecond", "cpuSeconds", "perCpuSecond",
// "cryptosuites"}; perCpuSecond is comparable with Go's verify/cpu-s metric.
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {createLoader} from './loader.mjs';
import {proofCryptosuites, verify} from './suites.mjs';

const {values, positionals} = parseArgs({
  allowPositionals: true,
  options: {
    n: {type: 'string', short: 'n', default: '1000'},
    warmup: {type: 'string', default: '300'},
    json: {type: 'boolean', default: false},
  },
});
if(positionals.length !== 1) {
  console.error('usage: node bench.mjs [-n N] [--warmup W] [--json] FILE');
  process.exit(2);
}
const n = Number.parseInt(values.n, 10);
const warmup = Number.parseInt(values.warmup, 10);
if(!(n > 0) || !(warmup >= 0)) {
  console.error('-n must be > 0 and --warmup >= 0');
  process.exit(2);
}
const credential = JSON.parse(readFileSync(positionals[0], 'utf8'));
const documentLoader = createLoader();

async function once() {
  // fresh copy each time: verification must not benefit from mutation
  const r = await verify({credential: structuredClone(credential), documentLoader});
  if(!r.verified) {
    console.error(`not verified: ${r.error}`);
    process.exit(1);
  }
}

for(let i = 0; i < warmup; i++) {
  await once();
}
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for(let i = 0; i < n; i++) {
  await once();
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const perSecond = n / seconds;
// per CPU-second of this process (main thread, GC and libuv threads): the
// per-core figure, comparable with the Go benchmarks' verify/cpu-s.
const perCpuSecond = n / cpuSeconds;
if(values.json) {
  console.log(JSON.stringify({n, seconds, perSecond, cpuSeconds, perCpuSecond, cryptosuites: proofCryptosuites(credential)}));
} else {
  console.log(`${positionals[0]}: ${n} verifications in ${seconds.toFixed(3)} s = ${perSecond.toFixed(1)} verifications/s (${(1000 * seconds / n).toFixed(3)} ms each), ${perCpuSecond.toFixed(1)} per CPU-second`);
}
