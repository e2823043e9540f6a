#!/usr/bin/env node
// Usage: node verify.mjs [--issuer-purpose] [--skip-unsupported] [--ignore-status] [--now ISO8601] FILE
//
// Verifies the Data Integrity credential in FILE (eddsa-rdfc-2022 or
// ecdsa-rdfc-2019, chosen from proof.cryptosuite) with @digitalbazaar/vc and
// the static offline loader. A proof of any other type or cryptosuite makes
// the credential fail, unless --skip-unsupported: then such proofs are
// ignored (as jsonld-signatures ignores proofs no suite matches) provided at
// least one supported proof exists; every supported proof must verify.
// A credential with credentialStatus fails (vc requires a status checker)
// unless --ignore-status, which accepts the status entry unchecked: this
// harness checks proofs, not status lists (it has no network). Prints one JSON line {"verified": bool, "error": string}
// on stdout. Exit status: 0 verified, 1 not verified (including malformed
// JSON), 2 usage or harness error (unreadable file, contexts missing or not
// matching index.json) -- a 2 is never a verification verdict.
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {createLoader} from './loader.mjs';
import {verify} from './suites.mjs';

function out(obj, code) {
  process.stdout.write(JSON.stringify(obj) + '\n');
  process.exitCode = code;
}

async function main() {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        'issuer-purpose': {type: 'boolean', default: false},
        'skip-unsupported': {type: 'boolean', default: false},
        'ignore-status': {type: 'boolean', default: false},
        now: {type: 'string'},
      },
    });
  } catch(e) {
    return out({verified: false, error: `usage: ${e.message}`}, 2);
  }
  if(args.positionals.length !== 1) {
    return out({verified: false, error: 'usage: node verify.mjs [--issuer-purpose] [--skip-unsupported] [--ignore-status] [--now ISO8601] FILE'}, 2);
  }
  let text;
  try {
    text = readFileSync(args.positionals[0], 'utf8');
  } catch(e) {
    return out({verified: false, error: `usage: cannot read ${args.positionals[0]}: ${e.message}`}, 2);
  }
  let documentLoader;
  try {
    documentLoader = createLoader();
  } catch(e) {
    return out({verified: false, error: `harness: ${e.message}`}, 2);
  }
  let credential;
  try {
    credential = JSON.parse(text);
  } catch(e) {
    return out({verified: false, error: `malformed JSON: ${e.message}`}, 1);
  }
  if(!credential || typeof credential !== 'object' || Array.isArray(credential)) {
    return out({verified: false, error: 'credential must be a JSON object'}, 1);
  }
  let res;
  try {
    res = await verify({
      credential, documentLoader,
      issuerPurpose: args.values['issuer-purpose'],
      now: args.values.now,
      skipUnsupported: args.values['skip-unsupported'],
      ignoreStatus: args.values['ignore-status'],
    });
  } catch(e) {
    res = {verified: false, error: e?.message ?? String(e)};
  }
  out(res, res.verified ? 0 : 1);
}

main().catch(e => out({verified: false, error: `harness: ${e?.stack ?? e}`}, 2));
