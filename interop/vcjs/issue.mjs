#!/usr/bin/env node
// Usage: node issue.mjs --suite eddsa-rdfc-2022|ecdsa-rdfc-2019 --seed HEX64
//                       --credential FILE [--created ISO8601]
//
// Signs the unsigned credential in FILE with @digitalbazaar/vc and a
// DataIntegrityProof of the given cryptosuite. The key is derived from the
// 32-byte seed (keys.mjs: Ed25519 seed / P-256 scalar d = seed). The issuer
// is overwritten with the key's did:key (issuer.id if issuer is an object);
// proof.verificationMethod is did:key:X#X, proofPurpose assertionMethod.
// Prints the signed credential as JSON on stdout; exit 0 on success, 1 if
// signing fails, 2 on usage error. Ed25519 output is deterministic for a fixed
// --created; ECDSA signatures are randomised (WebCrypto), so P-256 output
// differs run to run while still verifying.
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as vc from '@digitalbazaar/vc';

import {keyPairFromSeed, parseSeed} from './keys.mjs';
import {createLoader} from './loader.mjs';
import {CRYPTOSUITES} from './suites.mjs';

const USAGE = 'usage: node issue.mjs --suite eddsa-rdfc-2022|ecdsa-rdfc-2019 --seed HEX64 --credential FILE [--created ISO8601]';

function fail(msg, code) {
  process.stderr.write(msg + '\n');
  process.exitCode = code;
}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        suite: {type: 'string'},
        seed: {type: 'string'},
        credential: {type: 'string'},
        created: {type: 'string'},
      },
    });
  } catch(e) {
    return fail(`${e.message}\n${USAGE}`, 2);
  }
  const {suite: suiteName, seed: seedHex, credential: file, created} = args.values;
  if(!suiteName || !seedHex || !file) {
    return fail(USAGE, 2);
  }
  if(!CRYPTOSUITES.has(suiteName)) {
    return fail(`unknown --suite ${suiteName}\n${USAGE}`, 2);
  }
  let seed;
  try {
    seed = parseSeed(seedHex);
  } catch(e) {
    return fail(e.message, 2);
  }
  let credential;
  try {
    credential = JSON.parse(readFileSync(file, 'utf8'));
  } catch(e) {
    return fail(`cannot read credential ${file}: ${e.message}`, 2);
  }
  if(!credential || typeof credential !== 'object' || Array.isArray(credential)) {
    return fail('credential must be a JSON object', 2);
  }
  let date;
  if(created !== undefined) {
    date = new Date(created);
    if(Number.isNaN(date.getTime())) {
      return fail(`--created: not a date: ${created}`, 2);
    }
  }
  const keyPair = await keyPairFromSeed(suiteName, seed);
  if(credential.issuer && typeof credential.issuer === 'object' &&
    !Array.isArray(credential.issuer)) {
    credential.issuer = {...credential.issuer, id: keyPair.controller};
  } else {
    credential.issuer = keyPair.controller;
  }
  delete credential.proof;
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(),
    cryptosuite: CRYPTOSUITES.get(suiteName),
    ...(date ? {date} : {}),
  });
  const signed = await vc.issue({credential, suite, documentLoader: createLoader()});
  process.stdout.write(JSON.stringify(signed, null, 2) + '\n');
}

main().catch(e => fail(`issue failed: ${e?.stack ?? e}`, 1));
