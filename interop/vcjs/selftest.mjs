#!/usr/bin/env node
// Self-test of the harness (no Go needed): node selftest.mjs
//
//  - every published eddsa-rdfc-2022 / ecdsa-rdfc-2019 signed vector
//    (vc-di-eddsa, vc-di-ecdsa; P-256 and P-384) verifies;
//  - tampered copies of each (subject value, proofValue, created, issuer,
//    undefined term, unpinned context, wrong key) are rejected;
//  - keys.mjs derives the vectors' public keys from their secret keys;
//  - re-signing the eddsa vectors with their key and created reproduces the
//    published proofValue byte for byte (Ed25519 is deterministic);
//  - issue.mjs-style issuance (both suites) round-trips, tampering fails.
// Vectors: $XBORDER_VECTORS_DIR, default ../../../shared/vectors; the vector
// part is skipped (with a note) if that directory is absent.
// Exit 0 when every check passes, 1 otherwise.
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as base58 from 'base58-universal';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as vc from '@digitalbazaar/vc';

import {keyPairFromSeed} from './keys.mjs';
import {createLoader} from './loader.mjs';
import {CRYPTOSUITES, verify} from './suites.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const vectorsDir = resolve(process.env.XBORDER_VECTORS_DIR ?? join(here, '..', '..', '..', 'shared', 'vectors'));
const documentLoader = createLoader();
let failures = 0;
let passes = 0;

function check(ok, name, detail = '') {
  if(ok) {
    passes++;
    console.log(`ok   ${name}`);
  } else {
    failures++;
    console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`);
  }
}

const clone = o => structuredClone(o);
const readJSON = f => JSON.parse(readFileSync(f, 'utf8'));

function tampers(signed) {
  const firstProof = c => Array.isArray(c.proof) ? c.proof[0] : c.proof;
  const t = [];
  let c = clone(signed);
  const subj = Array.isArray(c.credentialSubject) ? c.credentialSubject[0] : c.credentialSubject;
  const k = Object.keys(subj).find(k => k !== 'id' && typeof subj[k] === 'string');
  if(k) {
    subj[k] += ' (tampered)';
    t.push(['subject value', c]);
  }
  c = clone(signed);
  const pv = firstProof(c).proofValue;
  // flip one base58 character in the middle of the signature
  const i = Math.floor(pv.length / 2);
  firstProof(c).proofValue = pv.slice(0, i) + (pv[i] === '2' ? '3' : '2') + pv.slice(i + 1);
  t.push(['proofValue', c]);
  c = clone(signed);
  firstProof(c).created = '2020-01-01T00:00:00Z';
  t.push(['proof.created', c]);
  c = clone(signed);
  c.issuer = typeof c.issuer === 'string' ? 'did:example:attacker' : {...c.issuer, id: 'did:example:attacker'};
  t.push(['issuer', c]);
  c = clone(signed);
  c.credentialSubject = {...(Array.isArray(c.credentialSubject) ? c.credentialSubject[0] : c.credentialSubject), undefinedTerm: 'x'};
  t.push(['added property (data loss where no @vocab)', c]);
  c = clone(signed);
  c['@context'] = [...c['@context'], 'https://example.org/unpinned/v1'];
  t.push(['unpinned context', c]);
  c = clone(signed);
  // a valid Ed25519 / P-256 did:key that did not sign
  const other = firstProof(c).cryptosuite === 'eddsa-rdfc-2022' ?
    'did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd' :
    'did:key:zDnaeYfZfiffsp9P613kuCTYTMCH8YcyedYrhVajvhGxLasUM';
  firstProof(c).verificationMethod = `${other}#${other.slice('did:key:'.length)}`;
  t.push(['verificationMethod swapped', c]);
  return t;
}

async function expectVerified(name, credential) {
  const r = await verify({credential, documentLoader});
  check(r.verified === true, `${name} verifies`, r.error);
}

async function expectRejected(name, credential) {
  const r = await verify({credential, documentLoader});
  check(r.verified === false, `${name} rejected`, r.verified ? 'verified!' : '');
  if(process.env.VERBOSE && !r.verified) {
    console.log(`       (${r.error})`);
  }
}

async function vectorChecks() {
  const ed = join(vectorsDir, 'vc-di-eddsa', 'TestVectors');
  const ec = join(vectorsDir, 'vc-di-ecdsa', 'TestVectors');
  if(!existsSync(ed) || !existsSync(ec)) {
    console.log(`note: vectors not found under ${vectorsDir}; skipping vector checks`);
    return;
  }
  const signedFiles = [
    join(ed, 'eddsa-rdfc-2022', 'signedDataInt.json'),
    join(ed, 'eddsa-rdfc-2022', 'employ', 'signedDataInt.json'),
    join(ec, 'ecdsa-rdfc-2019-p256', 'signedECDSAP256.json'),
    join(ec, 'ecdsa-rdfc-2019-p256', 'employ', 'signedECDSAP256.json'),
    join(ec, 'ecdsa-rdfc-2019-p384', 'signedECDSAP384.json'),
    join(ec, 'ecdsa-rdfc-2019-p384', 'employ', 'signedECDSAP384.json'),
  ];
  for(const f of signedFiles) {
    const name = f.slice(vectorsDir.length + 1);
    const signed = readJSON(f);
    await expectVerified(`vector ${name}`, signed);
    for(const [what, t] of tampers(signed)) {
      await expectRejected(`vector ${name} tampered: ${what}`, t);
    }
  }

  // proof sets (two eddsa-rdfc-2022 proofs by different keys) verify;
  // tampering with the second proof is detected
  const psc = join(ed, 'proof-set-chain');
  for(const f of ['signedProofSet1.json', 'signedProofSet2.json']) {
    const signed = readJSON(join(psc, f));
    await expectVerified(`vector proof-set-chain/${f}`, signed);
    const t = clone(signed);
    (Array.isArray(t.proof) ? t.proof[t.proof.length - 1] : t.proof).created = '2020-01-01T00:00:00Z';
    await expectRejected(`vector proof-set-chain/${f} with last proof tampered`, t);
  }
  // a proof set with a proof of an unknown suite (like xborder's SM2 proof
  // beside an Ed25519 one): rejected by default, accepted with
  // skipUnsupported on the proof that can be checked, and still rejected
  // then when the checkable proof is broken.
  {
    const signed = readJSON(join(ed, 'eddsa-rdfc-2022', 'signedDataInt.json'));
    const mixed = clone(signed);
    mixed.proof = [signed.proof, {
      ...signed.proof, cryptosuite: 'xborder-sm2-rdfc-2025',
      verificationMethod: 'did:example:sm2#key-1',
    }];
    await expectRejected('vector + unknown-suite proof (default)', mixed);
    let r = await verify({credential: mixed, documentLoader, skipUnsupported: true});
    check(r.verified, 'vector + unknown-suite proof verifies with skipUnsupported', r.error);
    const broken = clone(mixed);
    broken.credentialSubject.alumniOf += ' (tampered)';
    r = await verify({credential: broken, documentLoader, skipUnsupported: true});
    check(!r.verified, 'tampered vector + unknown-suite proof rejected with skipUnsupported');
    const onlyUnknown = clone(mixed);
    onlyUnknown.proof = mixed.proof[1];
    r = await verify({credential: onlyUnknown, documentLoader, skipUnsupported: true});
    check(!r.verified, 'only an unknown-suite proof: rejected with skipUnsupported');
  }

  // proof chains (previousProof): @digitalbazaar/data-integrity 2.5.0 does
  // not implement them (no previousProof handling; it verifies each proof
  // over the bare document), so the published chain vectors fail here.
  // Reported, not counted.
  for(const f of ['signedProofChain1.json', 'signedProofChain2.json']) {
    const r = await verify({credential: readJSON(join(psc, f)), documentLoader});
    console.log(`note vector proof-set-chain/${f}: verified=${r.verified}` +
      (r.verified ? '' : ` (${r.error}; known: the JS stack has no previousProof support)`));
  }

  // key derivation from the vectors' secret keys
  const edKeys = readJSON(join(ed, 'keyPair.json'));
  const edSeed = base58.decode(edKeys.privateKeyMultibase.slice(1)).slice(2);
  const edKp = await keyPairFromSeed('eddsa-rdfc-2022', edSeed);
  check(edKp.publicKeyMultibase === edKeys.publicKeyMultibase,
    'Ed25519 key from vector seed matches keyPair.json', edKp.publicKeyMultibase);
  const p256Keys = readJSON(join(ec, 'p256KeyPair.json'));
  const d = base58.decode(p256Keys.secretKeyMultibase.slice(1)).slice(2);
  const ecKp = await keyPairFromSeed('ecdsa-rdfc-2019', d);
  check(ecKp.publicKeyMultibase === p256Keys.publicKeyMultibase,
    'P-256 key from vector scalar matches p256KeyPair.json', ecKp.publicKeyMultibase);

  // deterministic re-signing of the eddsa vectors
  for(const [unsignedFile, signedFile] of [
    [join(ed, 'unsigned.json'), join(ed, 'eddsa-rdfc-2022', 'signedDataInt.json')],
    [join(ed, 'employmentAuth.json'), join(ed, 'eddsa-rdfc-2022', 'employ', 'signedDataInt.json')],
  ]) {
    const expected = readJSON(signedFile);
    const suite = new DataIntegrityProof({
      signer: edKp.signer(), cryptosuite: CRYPTOSUITES.get('eddsa-rdfc-2022'),
      date: new Date(expected.proof.created),
    });
    const got = await vc.issue({credential: readJSON(unsignedFile), suite, documentLoader});
    check(got.proof.proofValue === expected.proof.proofValue,
      `re-signing ${signedFile.slice(vectorsDir.length + 1)} reproduces proofValue`,
      got.proof.proofValue);
  }
  // P-256 signing with the vector key (randomised signature) verifies
  {
    const suite = new DataIntegrityProof({signer: ecKp.signer(), cryptosuite: CRYPTOSUITES.get('ecdsa-rdfc-2019')});
    const got = await vc.issue({credential: readJSON(join(ec, 'unsigned.json')), suite, documentLoader});
    await expectVerified('P-256 signature with vector key', got);
  }
}

async function issuanceChecks() {
  const seed = new Uint8Array(32).map((_, i) => i + 1);
  const unsigned = {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    id: 'urn:uuid:6f1d3d8e-8a43-4c4b-9d7e-2a8f7c1b2e10',
    type: ['VerifiableCredential', 'ExampleDataCredential'],
    validFrom: '2026-01-01T00:00:00Z',
    credentialSubject: {id: 'did:example:dataset-42', name: 'Example dataset'},
  };
  for(const s of CRYPTOSUITES.keys()) {
    const kp = await keyPairFromSeed(s, seed);
    const suite = new DataIntegrityProof({signer: kp.signer(), cryptosuite: CRYPTOSUITES.get(s)});
    const signed = await vc.issue({credential: {...clone(unsigned), issuer: kp.controller}, suite, documentLoader});
    await expectVerified(`issued ${s}`, signed);
    const r = await verify({credential: signed, documentLoader, issuerPurpose: true});
    check(r.verified, `issued ${s} verifies with CredentialIssuancePurpose`, r.error);
    for(const [what, t] of tampers(signed)) {
      await expectRejected(`issued ${s} tampered: ${what}`, t);
    }
  }
}

// credentialStatus: vc refuses without a status checker; --ignore-status
// accepts the entry unchecked, and the entry is still covered by the proof.
async function statusChecks() {
  const kp = await keyPairFromSeed('eddsa-rdfc-2022', new Uint8Array(32).fill(7));
  const suite = new DataIntegrityProof({signer: kp.signer(), cryptosuite: CRYPTOSUITES.get('eddsa-rdfc-2022')});
  const signed = await vc.issue({credential: {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    type: ['VerifiableCredential'],
    issuer: kp.controller,
    credentialSubject: {id: 'did:example:s', x: 'y'},
    credentialStatus: {
      id: 'https://example.org/status/1#5', type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation', statusListIndex: '5',
      statusListCredential: 'https://example.org/status/1',
    },
  }, suite, documentLoader});
  let r = await verify({credential: signed, documentLoader});
  check(!r.verified, 'credentialStatus without a checker: rejected');
  r = await verify({credential: signed, documentLoader, ignoreStatus: true});
  check(r.verified, 'credentialStatus with ignoreStatus: verifies', r.error);
  const t = clone(signed);
  t.credentialStatus.statusListIndex = '6';
  r = await verify({credential: t, documentLoader, ignoreStatus: true});
  check(!r.verified, 'credentialStatus tampered (index) with ignoreStatus: rejected');
}

await vectorChecks();
await statusChecks();
await issuanceChecks();
console.log(`${passes} passed, ${failures} failed`);
process.exitCode = failures ? 1 : 0;
