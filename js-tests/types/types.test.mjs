// The package's TypeScript types, checked from a user's side against the packed
// tarball: `tsc --strict` compiles a file that uses every class and method (under
// nodenext ESM, bundler and CommonJS resolution, with no DOM lib, with the DOM lib,
// and with Node's types), and a file of deliberate mistakes must fail on each line;
// the declared classes and members match what the module has at runtime (the main
// entry's and converge-crdt/core's); and @arethetypeswrong/cli finds no problem under
// node10, node16 (CJS and ESM) and bundler.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import {
  bin,
  distDir,
  jsTestsDir,
  makeProject,
  makeTempDir,
  npmPackageDir,
  packTarball,
  removeDir,
  run,
} from '../packaging/lib.mjs';

const here = join(jsTestsDir, 'types');
const sources = ['usage.ts', 'errors.ts', 'cjs.cts', 'slim.ts', 'document.ts', 'core.ts', 'relay.ts', 'env.d.ts'];

let root;
let pack;
let project;
let readmeFiles;

before(async () => {
  root = await makeTempDir('converge-types-');
  pack = await packTarball(root);
  const files = {};
  for (const name of sources) files[name] = await readFile(join(here, name), 'utf8');
  // The npm README's TypeScript examples, as a user would paste them.
  const readme = await readFile(join(npmPackageDir, 'README.md'), 'utf8');
  const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(examples.length > 0, 'the README has TypeScript examples');
  examples.forEach((code, i) => {
    files[`readme-${i + 1}.ts`] = `${code}export {};\n`;
  });
  readmeFiles = examples.map((_, i) => `readme-${i + 1}.ts`);
  // And the JavaScript examples of both READMEs, type-checked as JavaScript (checkJs).
  const rootReadme = await readFile(join(jsTestsDir, '..', 'README.md'), 'utf8');
  const jsExamples = [readme, rootReadme].flatMap((text) =>
    [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]),
  );
  assert.ok(jsExamples.length >= 2, 'both READMEs have a JavaScript example');
  jsExamples.forEach((code, i) => {
    files[`readme-${i + 1}.mjs`] = code;
    readmeFiles.push(`readme-${i + 1}.mjs`);
  });
  project = await makeProject(root, 'types-user', pack.tarball, files);
});

after(async () => {
  if (process.env.CONVERGE_KEEP_TMP) console.log(`# kept ${root}`);
  else await removeDir(root);
});

/** Runs tsc in the user project with `options`, over `files`; returns its output and exit code. */
async function tsc(name, options, files) {
  const config = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: 'es2022',
      types: [],
      ...options,
    },
    files,
  };
  await writeFile(join(project, `tsconfig.${name}.json`), JSON.stringify(config, null, 2));
  try {
    const { stdout } = await run(bin('tsc'), ['-p', `tsconfig.${name}.json`], { cwd: project });
    return { code: 0, output: stdout };
  } catch (error) {
    return { code: 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}${error.message}` };
  }
}

async function compiles(name, options, files) {
  const { code, output } = await tsc(name, options, files);
  assert.equal(code, 0, `tsc ${name} failed:\n${output}`);
}

const esm = ['usage.ts', 'errors.ts', 'slim.ts', 'document.ts', 'core.ts', 'relay.ts'];

test("the READMEs' examples (TypeScript, and JavaScript under checkJs) compile under --strict", () =>
  compiles(
    'readme',
    { module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022'], allowJs: true, checkJs: true },
    [...readmeFiles, 'env.d.ts'],
  ));

describe('tsc --strict on a user file', () => {
  test('nodenext ESM, no DOM lib, no Node types', () =>
    compiles('esm', { module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022'] }, [...esm, 'env.d.ts']));

  test('bundler resolution, no DOM lib', () =>
    compiles('bundler', { module: 'esnext', moduleResolution: 'bundler', lib: ['es2022'] }, [...esm, 'env.d.ts']));

  test('CommonJS (require under --module node16) gets the .d.cts types', async () => {
    await compiles('cjs', { module: 'node16', moduleResolution: 'node16', lib: ['es2022'] }, ['cjs.cts', 'env.d.ts']);
    const { stdout } = await run(bin('tsc'), ['-p', 'tsconfig.cjs.json', '--traceResolution'], { cwd: project });
    assert.match(stdout, /converge-crdt' was successfully resolved to '[^']*index\.d\.cts'/);
  });

  test("a user's default lib (DOM) and Node's types", async () => {
    await compiles('dom', { module: 'nodenext', moduleResolution: 'nodenext' }, esm);
    await compiles(
      'node-types',
      {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['es2022'],
        types: ['node'],
        typeRoots: [join(jsTestsDir, 'node_modules', '@types')],
      },
      esm,
    );
  });

  test('every deliberate mistake is an error (the types are not any)', async () => {
    const text = await readFile(join(project, 'errors.ts'), 'utf8');
    const isDirective = (line) => line.trim().startsWith('// @ts-expect-error');
    const directives = text.split('\n').filter(isDirective).length;
    assert.ok(directives >= 25, `only ${directives} mistakes`);
    // Without the directives, each line after one must fail.
    await writeFile(join(project, 'errors-bare.ts'), text.replace(/\/\/ @ts-expect-error/g, '// (expected error)'));
    const { code, output } = await tsc('bare', { module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022'] }, ['errors-bare.ts', 'env.d.ts']);
    assert.equal(code, 1);
    const lines = text.split('\n');
    const failing = new Set([...output.matchAll(/errors-bare\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])));
    lines.forEach((line, i) => {
      if (isDirective(line)) assert.ok(failing.has(i + 2), `line ${i + 2} of errors.ts compiles: ${lines[i + 1]}`);
    });
  });
});

/**
 * The classes and functions a .d.ts declares: `{ classes: { name: { instance, statics } }, functions }`.
 * An interface named as a class adds its members to the class (declaration merging:
 * how `Document.change`, added to the class by the package's JavaScript, is declared).
 */
function declared(file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const classes = {};
  const functions = [];
  const merged = {};
  for (const node of source.statements) {
    if (ts.isInterfaceDeclaration(node)) {
      merged[node.name.text] = (merged[node.name.text] ?? []).concat(
        node.members.filter((m) => m.name).map((m) => m.name.text),
      );
    }
  }
  for (const node of source.statements) {
    if (ts.isFunctionDeclaration(node) && node.name) functions.push(node.name.text);
    if (!ts.isClassDeclaration(node) || !node.name) continue;
    const instance = [];
    const statics = [];
    for (const member of node.members) {
      if (ts.isConstructorDeclaration(member) || !member.name) continue;
      const name = ts.isComputedPropertyName(member.name) ? `[${member.name.expression.getText(source)}]` : member.name.text;
      const isStatic = ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Static;
      (isStatic ? statics : instance).push(name);
    }
    instance.push(...(merged[node.name.text] ?? []));
    classes[node.name.text] = { instance: instance.sort(), statics: statics.sort() };
  }
  return { classes, functions: functions.sort() };
}

/** The same, read off the loaded module (wasm-bindgen's own `__` helpers left out). */
function present(module) {
  const classes = {};
  const functions = [];
  for (const [name, value] of Object.entries(module)) {
    if (typeof value !== 'function') continue;
    if (!/^class\b/.test(Function.prototype.toString.call(value))) {
      functions.push(name);
      continue;
    }
    const proto = value.prototype;
    const instance = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && !n.startsWith('__'));
    if (Object.getOwnPropertySymbols(proto).includes(Symbol.dispose)) instance.push('[Symbol.dispose]');
    const statics = Object.getOwnPropertyNames(value).filter(
      (n) => !['length', 'name', 'prototype'].includes(n) && !n.startsWith('__'),
    );
    classes[name] = { instance: instance.sort(), statics: statics.sort() };
  }
  return { classes, functions: functions.sort() };
}

test('the public types hold no any, Function or bare object', async () => {
  for (const file of ['index.d.ts', 'index.d.cts', 'core/index.d.ts', 'core/index.d.cts']) {
    const text = await readFile(join(distDir, file), 'utf8');
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const loose = code.split('\n').filter((line) => /\bany\b|\bFunction\b|:\s*object\b|\bunknown\b/.test(line));
    assert.deepEqual(loose, [], `${file}: give these exact types (unchecked_param_type / unchecked_return_type)`);
  }
});

describe('declared and runtime members match', () => {
  for (const [entry, types] of [
    ['node/index.mjs', 'index.d.ts'],
    ['node/converge_wasm.cjs', 'index.d.cts'],
  ]) {
    test(`${entry} against ${types}`, async () => {
      const module = await import(pathToFileURL(join(distDir, entry)).href);
      const runtime = present(entry.endsWith('.cjs') ? module.default : module);
      const types_ = declared(types, await readFile(join(distDir, types), 'utf8'));
      assert.deepEqual(Object.keys(types_.classes).sort(), Object.keys(runtime.classes).sort());
      for (const name of Object.keys(runtime.classes)) {
        assert.deepEqual(types_.classes[name], runtime.classes[name], `class ${name}`);
      }
      assert.deepEqual(types_.functions, runtime.functions);
      assert.ok(Object.keys(runtime.classes).length >= 6);
    });
  }

  // converge-crdt/core: its own Document class (the document alone), its own types.
  for (const [entry, types] of [
    ['core/node/index.mjs', 'core/index.d.ts'],
    ['core/node/converge_wasm.cjs', 'core/index.d.cts'],
    ['core/slim.js', 'core/slim.d.ts'],
  ]) {
    test(`${entry} against ${types}`, async () => {
      const module = await import(pathToFileURL(join(distDir, entry)).href);
      const runtime = present(entry.endsWith('.cjs') ? module.default : module);
      // slim.d.ts re-exports index.d.ts and adds init and initSync.
      const text = await readFile(join(distDir, types.replace('slim.d.ts', 'index.d.ts')), 'utf8');
      const types_ = declared(types, text);
      if (entry.endsWith('slim.js')) types_.functions = [...types_.functions, 'default', 'init', 'initSync'].sort();
      assert.deepEqual(Object.keys(types_.classes), ['Document']);
      assert.deepEqual(Object.keys(runtime.classes), ['Document']);
      assert.deepEqual(types_.classes.Document, runtime.classes.Document, 'class Document');
      assert.deepEqual(types_.functions, runtime.functions);
      for (const name of ['change', 'receive', 'messageFor', 'read', 'subscribe']) {
        assert.ok(!runtime.classes.Document.instance.includes(name), `no ${name} on the core Document`);
      }
    });
  }

  test('slim.d.ts declares init and initSync, which slim.js exports', async () => {
    const slim = await import(pathToFileURL(join(distDir, 'slim.js')).href);
    const text = await readFile(join(distDir, 'slim.d.ts'), 'utf8');
    for (const name of ['init', 'initSync']) {
      assert.equal(typeof slim[name], 'function');
      assert.match(text, new RegExp(`\\b${name}\\b`));
    }
    assert.equal(slim.default, slim.init);
  });

  // The relay entry's classes set their data properties in the constructor: compare
  // the methods and accessors, which live on the prototype.
  for (const [entry, types] of [
    ['relay.js', 'relay.d.ts'],
    ['relay.cjs', 'relay.d.cts'],
  ]) {
    test(`${entry} against ${types}`, async () => {
      const module = await import(pathToFileURL(join(distDir, entry)).href);
      const runtime = present(entry.endsWith('.cjs') ? module.default : module);
      const source = ts.createSourceFile(types, await readFile(join(distDir, types), 'utf8'), ts.ScriptTarget.Latest, true);
      const classes = {};
      const functions = [];
      for (const node of source.statements) {
        if (ts.isFunctionDeclaration(node) && node.name) functions.push(node.name.text);
        if (!ts.isClassDeclaration(node) || !node.name) continue;
        classes[node.name.text] = node.members
          .filter((m) => ts.isMethodDeclaration(m) || ts.isGetAccessorDeclaration(m))
          .map((m) => m.name.text)
          .sort();
      }
      assert.deepEqual(Object.keys(classes).sort(), Object.keys(runtime.classes).sort());
      for (const [name, members] of Object.entries(classes)) {
        assert.deepEqual(members, runtime.classes[name].instance, `class ${name}`);
      }
      assert.deepEqual(functions.sort(), runtime.functions);
      assert.ok(functions.includes('connect'));
    });
  }
});

describe('@arethetypeswrong/cli on the tarball', () => {
  test('the main entry: no problem under node10, node16 (CJS, ESM) and bundler', async () => {
    const { stdout } = await run(bin('attw'), [pack.tarball, '--entrypoints', '.', '--format', 'table-flipped'], { cwd: root });
    assert.match(stdout, /No problems found/);
    for (const resolution of ['node10', 'node16 \\(from CJS\\)', 'node16 \\(from ESM\\)', 'bundler']) {
      assert.match(stdout, new RegExp(resolution), `attw checked ${resolution}`);
    }
  });

  // converge-crdt/slim is ESM only (its init is async anyway): from CommonJS it is
  // reached with import(), which attw reports as cjs-resolves-to-esm. Nothing else.
  test('the slim entry: no problem but being ESM only', async () => {
    const { stdout } = await run(
      bin('attw'),
      [pack.tarball, '--entrypoints', './slim', '--ignore-rules', 'cjs-resolves-to-esm'],
      { cwd: root },
    );
    assert.match(stdout, /No problems found/);
  });

  // converge-crdt/core: like the main entry, Node gets ESM and CommonJS builds.
  test('the core entry: no problem under node10, node16 (CJS, ESM) and bundler', async () => {
    const { stdout } = await run(bin('attw'), [pack.tarball, '--entrypoints', './core', '--format', 'table-flipped'], { cwd: root });
    assert.match(stdout, /No problems found/);
    for (const resolution of ['node10', 'node16 \\(from CJS\\)', 'node16 \\(from ESM\\)', 'bundler']) {
      assert.match(stdout, new RegExp(resolution), `attw checked ${resolution}`);
    }
  });

  // converge-crdt/core/slim is ESM only, like converge-crdt/slim.
  test('the core slim entry: no problem but being ESM only', async () => {
    const { stdout } = await run(
      bin('attw'),
      [pack.tarball, '--entrypoints', './core/slim', '--ignore-rules', 'cjs-resolves-to-esm'],
      { cwd: root },
    );
    assert.match(stdout, /No problems found/);
  });

  // converge-crdt/relay ships ESM and CommonJS (plain JS, no wasm): no problem at all.
  test('the relay entry: no problem under node10, node16 (CJS, ESM) and bundler', async () => {
    const { stdout } = await run(bin('attw'), [pack.tarball, '--entrypoints', './relay'], { cwd: root });
    assert.match(stdout, /No problems found/);
  });
});
