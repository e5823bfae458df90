// Starts the real relay binary (target/debug/converge-relay, built by cargo if
// missing or stale) on a free port with a temporary data directory, for the relay
// suites. Nothing is started by hand.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const relayBinary = join(repoRoot, 'target', 'debug', 'converge-relay');

let built = false;

/** Builds the relay once per process (cargo does nothing when it is up to date). */
export function buildRelay() {
  if (built) return;
  const result = spawnSync('cargo', ['build', '--quiet', '-p', 'converge-relay'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('cargo build -p converge-relay failed');
  built = true;
}

/** A temporary data directory, removed by `cleanup()`. */
export function dataDir() {
  return mkdtempSync(join(tmpdir(), 'converge-relay-'));
}

/**
 * Starts the relay on `listen` (default a free port) over `data`; resolves with
 * `{ url, port, process, stop(signal) }` once it prints its address.
 */
export function startRelay({ data, listen = '127.0.0.1:0', args = [], env = {} }) {
  buildRelay();
  const child = spawn(relayBinary, ['--listen', listen, '--data', data, ...args], {
    cwd: repoRoot,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\S+)/.exec(out);
      if (match) {
        const address = match[1];
        const port = Number(address.split(':').at(-1));
        resolve({
          address,
          port,
          url: `ws://${address}`,
          process: child,
          exited,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`the relay exited (${code}) before listening: ${stderr}`)));
  });
}

/** Removes a data directory. */
export function cleanup(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Resolves once `predicate()` holds, checking after every event-loop turn (bounded by `turns`). */
export async function until(predicate, what, turns = 20_000) {
  for (let i = 0; i < turns; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`gave up waiting for ${what}`);
}
