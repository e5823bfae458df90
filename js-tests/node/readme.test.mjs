// The README's JavaScript example, run as written against the built package, so the
// README stays true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('the README JavaScript example runs and shows what it says', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const example = readme.match(/```js\n([\s\S]*?)```/)[1];
  const entry = pathToFileURL(join(root, 'wasm/npm/dist/node/index.mjs')).href;
  const code =
    example.replace("from 'converge-crdt'", `from '${entry}'`) +
    '\nexport const shown = phone.toJSON();\n';
  const file = join(mkdtempSync(join(tmpdir(), 'converge-readme-')), 'example.mjs');
  writeFileSync(file, code);
  const { shown } = await import(pathToFileURL(file).href);
  // The comment in the README says what toJSON() shows.
  assert.deepEqual(shown, { holds: { h1: { seats: 2, status: 'confirmed' } } });
});
