#!/usr/bin/env node
// Usage: node verify-presentation.mjs --challenge C --domain D
//          [--skip-credentials] [--ignore-status] [--now ISO8601] FILE
//
// Verifies the Data Integrity presentation in FILE with @digitalbazaar/vc
// verify (suites.mjs verifyPresentation): the presentation proof with
// AuthenticationProofPurpose (challenge and domain must match; the key must
// be under authentication of its controller's did:key document) and each
// embedded credential with CredentialIssuancePurpose, the cryptosuites
// (eddsa-rdfc-2022, ecdsa-rdfc-2019) chosen from the proofs. A proof of any
// other type or suite fails. --skip-credentials checks the presentation's
// own proof only (for embedded credentials the JS stack cannot verify, such
// as an EnvelopedVerifiableCredential). --ignore-status accepts
// credentialStatus entries unchecked (as in verify.mjs).
// Prints one JSON line {"verified": bool, "error": string} on stdout. Exit
// status: 0 verified, 1 not verified (including malformed JSON), 2 usage or
// harness error (unreadable file, contexts missing or not matching
// index.json) -- a 2 is never a verification verdict.
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {createLoader} from './loader.mjs';
import {verifyPresentation} from './suites.mjs';

const USAGE = 'usage: node verify-presentation.mjs --challenge C --domain D [--skip-credentials] [--ignore-status] [--now ISO8601] FILE';

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
        challenge: {type: 'string'},
        domain: {type: 'string'},
        'skip-credentials': {type: 'boolean', default: false},
        'ignore-status': {type: 'boolean', default: false},
        now: {type: 'string'},
      },
    });
  } catch(e) {
    return out({verified: false, error: `usage: ${e.message}`}, 2);
  }
  const {challenge, domain} = args.values;
  if(args.positionals.length !== 1 || !challenge || !domain) {
    return out({verified: false, error: USAGE}, 2);
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
  let presentation;
  try {
    presentation = JSON.parse(text);
  } catch(e) {
    return out({verified: false, error: `malformed JSON: ${e.message}`}, 1);
  }
  if(!presentation || typeof presentation !== 'object' || Array.isArray(presentation)) {
    return out({verified: false, error: 'presentation must be a JSON object'}, 1);
  }
  let res;
  try {
    res = await verifyPresentation({
      presentation, documentLoader, challenge, domain,
      now: args.values.now,
      skipCredentials: args.values['skip-credentials'],
      ignoreStatus: args.values['ignore-status'],
    });
  } catch(e) {
    res = {verified: false, error: e?.message ?? String(e)};
  }
  out(res, res.verified ? 0 : 1);
}

main().catch(e => out({verified: false, error: `harness: ${e?.stack ?? e}`}, 2));
