// Deterministic key derivation from a 32-byte seed, shared by issue.mjs and
// selftest.mjs. The Go test derives the same keys the same way:
//   Ed25519: RFC 8032 private key = seed (ed25519.NewKeyFromSeed(seed)).
//   P-256:   private scalar d = seed read as a big-endian integer; it must be
//            in [1, n-1] (an out-of-range seed is an error, never reduced).
import {createECDH} from 'node:crypto';

import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

export function parseSeed(hex) {
  if(typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error('--seed must be 64 hex digits (32 bytes)');
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

// keyPairFromSeed returns a multikey key pair interface with id
// did:key:X#X and controller did:key:X, able to sign().
export async function keyPairFromSeed(suiteName, seed) {
  let keyPair;
  if(suiteName === 'eddsa-rdfc-2022') {
    keyPair = await Ed25519Multikey.generate({seed});
  } else if(suiteName === 'ecdsa-rdfc-2019') {
    const d = BigInt('0x' + Buffer.from(seed).toString('hex'));
    if(d === 0n || d >= P256_N) {
      throw new Error('P-256 seed is not a valid private scalar (must be in [1, n-1])');
    }
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(seed));
    const pub = ecdh.getPublicKey(); // 0x04 || X || Y
    const b64u = b => Buffer.from(b).toString('base64url');
    const jwk = {
      kty: 'EC', crv: 'P-256',
      x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33, 65)), d: b64u(seed),
      // without key_ops ecdsa-multikey would import an ECDH (deriveBits) key
      key_ops: ['sign', 'verify'],
    };
    keyPair = await EcdsaMultikey.fromJwk({jwk, secretKey: true});
  } else {
    throw new Error(`unsupported suite ${JSON.stringify(suiteName)}`);
  }
  const did = `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.controller = did;
  keyPair.id = `${did}#${keyPair.publicKeyMultibase}`;
  return keyPair;
}
