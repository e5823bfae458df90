// Tests that need a process of their own: garbage collection of unfreed objects, and
// inputs that can leave the wasm module broken for the rest of the process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const runJson = (args) =>
  JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 }));

test('objects never freed are released by the garbage collector (FinalizationRegistry)', () => {
  const { sizes } = runJson(['--expose-gc', fixture('gc-release.cjs'), 'registry', '6']);
  // 200 documents of 60 keys per round, never freed: with the registry releasing
  // them, the wasm memory is reused and stops growing after the first round.
  assert.ok(
    sizes.at(-1) <= sizes[0] * 1.5,
    `wasm memory kept growing: ${sizes.map((s) => (s / 2 ** 20).toFixed(1)).join(' MiB, ')} MiB`,
  );
  // The control: the same garbage without a registry does grow, so the check above
  // can tell.
  const control = runJson(['--expose-gc', fixture('gc-release.cjs'), 'no-registry', '3']).sizes;
  assert.ok(control.at(-1) > control[0] * 1.5, `control did not grow: ${control}`);
});

test('a very long Document path is refused (or accepted) and the module keeps working', {}, () => {
  const { results, healthy } = runJson([fixture('deep-path.mjs'), '800', '2000']);
  for (const r of results) {
    if (r.error) {
      assert.ok(
        r.error.name === 'Error' && r.error.code,
        `path of ${r.length} keys (attempt ${r.attempt}): ${r.error.name} ${r.error.message}`,
      );
    }
  }
  assert.equal(healthy, true, `after long paths the module is broken: ${JSON.stringify(healthy)}`);
});
