// Static, offline JSON-LD document loader for the xborder interop harness.
//
// It serves exactly two kinds of URL and throws on everything else; it never
// touches the network:
//   1. the pinned JSON-LD contexts listed in index.json whose file is present
//      (the same files, byte for byte, that package internal/vc embeds;
//      like the Go side, an index entry without its file is not served). Each file's SHA-256 is
//      checked against index.json when the loader is built, so a harness run
//      against a modified context fails loudly instead of silently diverging
//      from the Go side.
//   2. did:key DIDs and their verification-method URLs, resolved offline with
//      @digitalbazaar/did-method-key: Ed25519 (z6Mk…) via ed25519-multikey and
//      ECDSA P-256 (zDna…) / P-384 (z82L…) via ecdsa-multikey. A verification
//      method URL must have the form did:key:X#X (did:key spec).
//
// Contexts directory: $XBORDER_CONTEXTS_DIR if set, else
// ../../internal/vc/contexts relative to this file.
import {createHash} from 'node:crypto';
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as DidKey from '@digitalbazaar/did-method-key';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const here = dirname(fileURLToPath(import.meta.url));

export function contextsDir() {
  return process.env.XBORDER_CONTEXTS_DIR ?
    resolve(process.env.XBORDER_CONTEXTS_DIR) :
    resolve(here, '..', '..', 'internal', 'vc', 'contexts');
}

// loadPinnedContexts reads index.json and every file it names, verifying
// SHA-256 (and size when given). Returns Map<url, parsed JSON>.
export function loadPinnedContexts(dir = contextsDir()) {
  let index;
  try {
    index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  } catch(e) {
    throw new Error(`cannot read pinned context index ${join(dir, 'index.json')}: ${e.message}`);
  }
  const entries = index.contexts;
  if(!entries || typeof entries !== 'object') {
    throw new Error(`${join(dir, 'index.json')}: no "contexts" object`);
  }
  const out = new Map();
  for(const [url, entry] of Object.entries(entries)) {
    const file = join(dir, entry.file);
    if(!existsSync(file)) {
      // Same rule as internal/vc PinnedContexts: an index entry whose file is
      // not bundled (ed25519-2020/v1, deliberately) is not served.
      continue;
    }
    const bytes = readFileSync(file);
    const sum = createHash('sha256').update(bytes).digest('hex');
    if(entry.sha256 && sum !== entry.sha256) {
      throw new Error(`pinned context ${url} (${file}): sha256 ${sum} != index ${entry.sha256}`);
    }
    if(typeof entry.bytes === 'number' && bytes.length !== entry.bytes) {
      throw new Error(`pinned context ${url} (${file}): ${bytes.length} bytes != index ${entry.bytes}`);
    }
    out.set(url, JSON.parse(bytes.toString('utf8')));
  }
  return out;
}

export function didKeyDriver() {
  const driver = DidKey.driver();
  driver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  driver.use({multibaseMultikeyHeader: 'zDna', fromMultibase: EcdsaMultikey.from}); // P-256
  driver.use({multibaseMultikeyHeader: 'z82L', fromMultibase: EcdsaMultikey.from}); // P-384
  return driver;
}

const DID_KEY_RE = /^did:key:(z[1-9A-HJ-NP-Za-km-z]+)(?:#(z[1-9A-HJ-NP-Za-km-z]+))?$/;

// createLoader returns an async (url) => {contextUrl, documentUrl, document}.
// Returned documents are fresh deep copies, so callers may mutate them.
// extraDirs are further pinned-context directories (same index.json format,
// same checks), consulted for URLs that dir does not serve: the Go tests of
// internal/jsonld load the shared vector collection's contexts this way.
export function createLoader({dir = contextsDir(), extraDirs = []} = {}) {
  const contexts = loadPinnedContexts(dir);
  for(const extra of extraDirs) {
    for(const [url, doc] of loadPinnedContexts(extra)) {
      if(!contexts.has(url)) {
        contexts.set(url, doc);
      }
    }
  }
  const driver = didKeyDriver();
  const loader = async function documentLoader(url) {
    if(typeof url !== 'string') {
      throw new Error(`document loader: URL must be a string, got ${typeof url}`);
    }
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
    }
    if(url.startsWith('did:key:')) {
      const m = DID_KEY_RE.exec(url);
      if(!m) {
        throw new Error(`document loader: malformed did:key URL "${url}"`);
      }
      if(m[2] !== undefined && m[2] !== m[1]) {
        throw new Error(`document loader: did:key fragment must equal the key ("${url}")`);
      }
      const document = await driver.get({url});
      return {contextUrl: null, documentUrl: url, document};
    }
    throw new Error(`document loader: URL not pinned, refusing to load "${url}"`);
  };
  loader.pinnedUrls = [...contexts.keys()];
  loader.contextsDir = dir;
  return loader;
}
