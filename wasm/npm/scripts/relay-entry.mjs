// Writes the converge-crdt/relay entry into dist from wasm/npm/src: relay.js (ESM),
// relay.cjs (the same code as CommonJS, for `require` in Node 20), relay.d.ts and
// relay.d.cts. The entry is plain JavaScript (transport and storage, no wasm).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Writes the relay entry's four files into `dist`. */
export function writeRelayEntry(dist) {
  const esm = readFileSync(join(src, 'relay.js'), 'utf8');
  const names = [...esm.matchAll(/^export (?:async function|function|class|const) (\w+)/gm)].map((m) => m[1]);
  const cjs =
    "'use strict';\n" +
    esm.replace(/^export (async function|function|class|const) /gm, '$1 ') +
    `\nmodule.exports = { ${names.join(', ')} };\n`;
  writeFileSync(join(dist, 'relay.js'), esm);
  writeFileSync(join(dist, 'relay.cjs'), cjs);
  const types = readFileSync(join(src, 'relay.d.ts'), 'utf8');
  writeFileSync(join(dist, 'relay.d.ts'), types);
  writeFileSync(join(dist, 'relay.d.cts'), types);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeRelayEntry(process.argv[2]);
