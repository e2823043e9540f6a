#!/usr/bin/env node
// Usage: node expand.mjs [--unsafe] [--batch] [--contexts DIR]... FILE...
//
// Prints jsonld.js's expansion (jsonld.expand) of the JSON-LD document in
// each FILE, with the options the Data Integrity cryptosuites use when they
// canonicalise (eddsa-rdfc-2022-cryptosuite lib/canonize.js): safe mode
// (data loss is an error), base null, and the static offline loader
// (loader.mjs) over the pinned contexts. This is the oracle for
// internal/jsonld's default (W3C) mode; see
// internal/jsonld/testdata/jsonldjs/README.md.
//
// --contexts DIR adds a directory of pinned contexts (index.json format) for
// URLs the default one ($XBORDER_CONTEXTS_DIR or ../../internal/vc/contexts)
// does not serve; repeatable. --unsafe turns safe mode off (jsonld.js then
// drops what does not expand instead of failing).
//
// Each document is expanded with a fresh context cache, as if in a process
// of its own (see below why).
//
// One FILE: prints the expanded document (a JSON array) on stdout, exit 0;
// if expansion fails, the error on stderr, exit 1.
// Several FILEs, or --batch: prints one JSON object whose keys are the FILE arguments
// and whose values are {"expanded": [...]} or {"error": "...", "code": "..."}
// (the JSON-LD error code, when jsonld.js gives one), exit 0.
// Exit 2: usage or harness error (unreadable file, not a JSON object,
// contexts missing or not matching index.json) -- never a verdict.
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import jsonld from 'jsonld';
import ContextResolver from 'jsonld/lib/ContextResolver.js';

import {createLoader} from './loader.mjs';

const USAGE = 'usage: node expand.mjs [--unsafe] [--batch] [--contexts DIR]... FILE...';

function fail(msg, code) {
  process.stderr.write(msg + '\n');
  process.exitCode = code;
}

function readDocument(file) {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  if(!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error(`${file}: not a JSON object`);
  }
  return doc;
}

// errorCode digs the JSON-LD error code out of a jsonld.js error (safe-mode
// events nest it under details.event).
function errorCode(e) {
  return e?.details?.code ?? e?.details?.event?.code ?? e?.code ?? '';
}

async function main() {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        contexts: {type: 'string', multiple: true, default: []},
        unsafe: {type: 'boolean', default: false},
        batch: {type: 'boolean', default: false},
      },
    });
  } catch(e) {
    return fail(`${e.message}\n${USAGE}`, 2);
  }
  const files = args.positionals;
  if(files.length === 0) {
    return fail(USAGE, 2);
  }
  let documentLoader;
  const docs = [];
  try {
    documentLoader = createLoader({extraDirs: args.values.contexts});
    for(const f of files) {
      docs.push(readDocument(f));
    }
  } catch(e) {
    return fail(`harness: ${e.message}`, 2);
  }
  // A fresh context cache per document (the same as one process per
  // document): jsonld.js's default cache is process-wide, and 9.0.0 caches
  // an @import-ed context merged with the first scoped context that imports
  // it (lib/context.js), so a later document whose scoped context imports
  // the same context over the same active context gets the wrong terms
  // (seen with the DSP 2025-1 context, which @imports its ODRL profile).
  const expand = doc => jsonld.expand(doc, {
    documentLoader, safe: !args.values.unsafe, base: null,
    contextResolver: new ContextResolver({sharedCache: new Map()}),
  });
  if(files.length === 1 && !args.values.batch) {
    let expanded;
    try {
      expanded = await expand(docs[0]);
    } catch(e) {
      return fail(`expansion failed: ${errorCode(e) || e.name}: ${e.message}`, 1);
    }
    process.stdout.write(JSON.stringify(expanded, null, 2) + '\n');
    return;
  }
  const out = {};
  for(const [i, f] of files.entries()) {
    try {
      out[f] = {expanded: await expand(docs[i])};
    } catch(e) {
      out[f] = {error: e.message, code: errorCode(e)};
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch(e => fail(`harness: ${e?.stack ?? e}`, 2));
