// Packs the npm package (wasm/npm, built by `make wasm`) with `npm pack` into
// .package/converge-crdt.tgz, which package.json depends on: the app installs exactly
// what would be published and imports it by name, as any app would.
//
// package-lock.json records no integrity for this tarball on purpose: the tarball is
// rebuilt with the package, and with a recorded integrity `npm ci` would install the
// old copy from npm's cache. This script removes one if `npm install` added it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const app = fileURLToPath(new URL('..', import.meta.url));
const packageDir = fileURLToPath(new URL('../../../wasm/npm', import.meta.url));
const out = `${app}.package`;

if (!existsSync(`${packageDir}/dist/index.js`)) {
  console.error(`${packageDir}/dist is not built: run \`make wasm\` at the repository root first`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
const [info] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: packageDir, encoding: 'utf8' }));
renameSync(`${out}/${info.filename}`, `${out}/converge-crdt.tgz`);
console.log(`packed ${info.name}@${info.version}: ${info.entryCount} files, ${info.size} bytes -> .package/converge-crdt.tgz`);

const lockPath = `${app}package-lock.json`;
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const entry = lock.packages?.['node_modules/converge-crdt'];
if (entry?.integrity) {
  delete entry.integrity;
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  console.log('removed the tarball integrity from package-lock.json (see the comment in this script)');
}
