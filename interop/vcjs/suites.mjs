// Cryptosuite registry and verification shared by verify.mjs and bench.mjs.
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as ecdsaRdfc2019} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';

export const CRYPTOSUITES = new Map([
  ['eddsa-rdfc-2022', eddsaRdfc2022],
  ['ecdsa-rdfc-2019', ecdsaRdfc2019],
]);

// proofCryptosuites lists the cryptosuite names named by the credential's
// proof (object or proof set). Throws on a missing proof or an unsupported
// type/cryptosuite, so a credential is never reported as verified for a
// reason other than a checked DataIntegrityProof. With skipUnsupported,
// proofs of other types or suites (e.g. xborder's SM2 proof beside an
// Ed25519 one) are left out instead, as a foreign verifier would ignore them;
// at least one supported proof must remain, and every supported one must
// verify.
export function proofCryptosuites(credential, {skipUnsupported = false} = {}) {
  const proofs = credential?.proof;
  if(proofs === undefined || proofs === null) {
    throw new Error('credential has no "proof"');
  }
  const names = new Set();
  for(const p of Array.isArray(proofs) ? proofs : [proofs]) {
    if(!p || typeof p !== 'object') {
      throw new Error('"proof" must be an object or an array of objects');
    }
    if(p.type !== 'DataIntegrityProof' || !CRYPTOSUITES.has(p.cryptosuite)) {
      if(skipUnsupported) {
        continue;
      }
      throw new Error(p.type !== 'DataIntegrityProof' ?
        `unsupported proof type ${JSON.stringify(p.type)}` :
        `unsupported cryptosuite ${JSON.stringify(p.cryptosuite)}`);
    }
    names.add(p.cryptosuite);
  }
  if(names.size === 0) {
    throw new Error('no proof of a supported type and cryptosuite');
  }
  return [...names];
}

export function verifierSuites(names) {
  return names.map(n => new DataIntegrityProof({cryptosuite: CRYPTOSUITES.get(n)}));
}

// errorText flattens the nested jsonld-signatures / vc errors into one line.
export function errorText(err) {
  if(!err) {
    return 'not verified';
  }
  const parts = [];
  const walk = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(walk);
      return;
    }
    if(Array.isArray(e.errors) && e.errors.length > 0) {
      e.errors.forEach(walk);
      return;
    }
    let msg = e.message || String(e);
    // jsonld wraps loader failures; surface the loader's own reason
    const cause = e.details?.cause ?? e.cause;
    if(cause?.message && !msg.includes(cause.message)) {
      msg += ` (${cause.message})`;
    }
    parts.push(msg);
  };
  walk(err);
  return [...new Set(parts)].join('; ') || 'not verified';
}

// verify runs vc.verifyCredential with AssertionProofPurpose (the verification
// method must be listed under assertionMethod of its controller's document;
// the issuer is not required to be that controller, as in the W3C vectors).
// With issuerPurpose=true it uses vc's CredentialIssuancePurpose instead,
// which additionally requires issuer === controller of the key.
// Returns {verified, error}.
// With ignoreStatus, a credentialStatus entry is accepted unchecked (vc
// otherwise refuses to verify a credential with credentialStatus unless given
// a checkStatus function; this harness has no network to fetch status lists).
export async function verify({
  credential, documentLoader, issuerPurpose = false, now, skipUnsupported = false,
  ignoreStatus = false
}) {
  let names;
  try {
    names = proofCryptosuites(credential, {skipUnsupported});
  } catch(e) {
    return {verified: false, error: e.message};
  }
  const purpose = issuerPurpose ?
    new vc.CredentialIssuancePurpose() :
    new jsigs.purposes.AssertionProofPurpose();
  const result = await vc.verifyCredential({
    credential,
    suite: verifierSuites(names),
    purpose,
    documentLoader,
    ...(now ? {now} : {}),
    ...(ignoreStatus ? {checkStatus: async () => ({verified: true})} : {}),
  });
  if(result.verified) {
    // every proof of a proof set must have verified
    const proofResults = result.results ?? [];
    const bad = proofResults.filter(r => !r.verified);
    if(bad.length > 0 || proofResults.length === 0) {
      return {verified: false, error: errorText(bad.map(r => r.error)) || 'no proof verified'};
    }
    return {verified: true, error: ''};
  }
  return {verified: false, error: errorText(result.error ?? result.results?.map(r => r.error))};
}

// verifyPresentation verifies a Data Integrity presentation: its proof(s)
// with jsonld-signatures' AuthenticationProofPurpose (the proof's challenge
// must equal `challenge` and its domain be or contain `domain`; the key must
// be under `authentication` of its controller's document) and, unless
// skipCredentials, every embedded credential with vc's
// CredentialIssuancePurpose (issuer must be the key's controller) -- that is
// vc.verify. skipCredentials verifies the presentation's own proof only
// (jsigs.verify, as vc.verify does it), for presentations whose credentials
// the JS stack cannot verify (an EnvelopedVerifiableCredential: vc.verify
// would look for a Data Integrity proof on it). Every proof of a proof set
// must verify. Returns {verified, error}.
export async function verifyPresentation({
  presentation, documentLoader, challenge, domain, now, skipCredentials = false,
  ignoreStatus = false
}) {
  let names;
  try {
    const all = new Set(proofCryptosuites(presentation));
    if(!skipCredentials) {
      const creds = presentation.verifiableCredential;
      for(const c of creds === undefined ? [] : Array.isArray(creds) ? creds : [creds]) {
        for(const n of proofCryptosuites(c)) {
          all.add(n);
        }
      }
    }
    names = [...all];
  } catch(e) {
    return {verified: false, error: e.message};
  }
  const suite = verifierSuites(names);
  const allProofsVerified = r => {
    const results = r?.results ?? [];
    return results.length > 0 && results.every(x => x.verified);
  };
  if(skipCredentials) {
    const result = await jsigs.verify(presentation, {
      suite, documentLoader,
      purpose: new jsigs.purposes.AuthenticationProofPurpose({challenge, domain}),
    });
    if(result.verified && allProofsVerified(result)) {
      return {verified: true, error: ''};
    }
    return {verified: false, error: errorText(result.error ?? result.results?.map(r => r.error))};
  }
  const result = await vc.verify({
    presentation, suite, documentLoader, challenge, domain,
    ...(now ? {now} : {}),
    ...(ignoreStatus ? {checkStatus: async () => ({verified: true})} : {}),
  });
  const credentialResults = result.credentialResults ?? [];
  if(result.verified && allProofsVerified(result.presentationResult) &&
    credentialResults.every(allProofsVerified)) {
    return {verified: true, error: ''};
  }
  const errors = [];
  const pr = result.presentationResult;
  if(pr && !pr.verified) {
    errors.push(pr.error ?? pr.results?.map(r => r.error));
  } else if(result.error) {
    errors.push(result.error);
  }
  for(const [i, cr] of credentialResults.entries()) {
    if(!cr.verified) {
      errors.push(new Error(`credential ${i}: ${errorText(cr.error ?? cr.results?.map(r => r.error))}`));
    }
  }
  return {verified: false, error: errorText(errors) || 'not verified'};
}
