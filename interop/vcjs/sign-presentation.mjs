#!/usr/bin/env node
// Usage: node sign-presentation.mjs --suite eddsa-rdfc-2022|ecdsa-rdfc-2019
//          --seed HEX64 --presentation FILE --challenge C --domain D
//          [--created ISO8601]
//
// Signs the presentation in FILE (with its embedded credentials as they
// are) with @digitalbazaar/vc signPresentation: a DataIntegrityProof of the
// given cryptosuite, proofPurpose authentication, the verifier's challenge
// and domain. The key is derived from the 32-byte seed (keys.mjs, as in
// issue.mjs). The holder is overwritten with the key's did:key (holder.id
// if holder is an object); proof.verificationMethod is did:key:X#X.
// Prints the signed presentation as JSON on stdout; exit 0 on success, 1 if
// signing fails, 2 on usage error.
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as vc from '@digitalbazaar/vc';

import {keyPairFromSeed, parseSeed} from './keys.mjs';
import {createLoader} from './loader.mjs';
import {CRYPTOSUITES} from './suites.mjs';

const USAGE = 'usage: node sign-presentation.mjs --suite eddsa-rdfc-2022|ecdsa-rdfc-2019 --seed HEX64 --presentation FILE --challenge C --domain D [--created ISO8601]';

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
        presentation: {type: 'string'},
        challenge: {type: 'string'},
        domain: {type: 'string'},
        created: {type: 'string'},
      },
    });
  } catch(e) {
    return fail(`${e.message}\n${USAGE}`, 2);
  }
  const {suite: suiteName, seed: seedHex, presentation: file, challenge, domain, created} = args.values;
  if(!suiteName || !seedHex || !file || !challenge || !domain) {
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
  let presentation;
  try {
    presentation = JSON.parse(readFileSync(file, 'utf8'));
  } catch(e) {
    return fail(`cannot read presentation ${file}: ${e.message}`, 2);
  }
  if(!presentation || typeof presentation !== 'object' || Array.isArray(presentation)) {
    return fail('presentation must be a JSON object', 2);
  }
  let date;
  if(created !== undefined) {
    date = new Date(created);
    if(Number.isNaN(date.getTime())) {
      return fail(`--created: not a date: ${created}`, 2);
    }
  }
  const keyPair = await keyPairFromSeed(suiteName, seed);
  if(presentation.holder && typeof presentation.holder === 'object' &&
    !Array.isArray(presentation.holder)) {
    presentation.holder = {...presentation.holder, id: keyPair.controller};
  } else {
    presentation.holder = keyPair.controller;
  }
  delete presentation.proof;
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(),
    cryptosuite: CRYPTOSUITES.get(suiteName),
    ...(date ? {date} : {}),
  });
  const signed = await vc.signPresentation({
    presentation, suite, challenge, domain, documentLoader: createLoader(),
  });
  process.stdout.write(JSON.stringify(signed, null, 2) + '\n');
}

main().catch(e => fail(`signing failed: ${e?.stack ?? e}`, 1));
