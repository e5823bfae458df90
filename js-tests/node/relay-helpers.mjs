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
 * Starts the relay on `listen` (default a free port) over `data` (a SQLite directory;
 * leave it out when `args` name another backend, such as `--redis URL`); resolves with
 * `{ url, port, process, stop(signal) }` once it prints its address.
 */
export function startRelay({ data, listen = '127.0.0.1:0', args = [], env = {} }) {
  buildRelay();
  const storage = data === undefined ? [] : ['--data', data];
  const child = spawn(relayBinary, ['--listen', listen, ...storage, ...args], {
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

/**
 * Whether `redis-server` is on the PATH; if not, installs Debian's package when this
 * runs as root with apt-get (as the Rust harness does), else returns false.
 */
export function haveRedis() {
  const found = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (found()) return true;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return false;
  spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return found();
}

/** A free loopback port (bound, then released). */
async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `redis-server` on a free port in a temporary directory with AOF on
 * (`appendfsync always`, `noeviction`: the settings the relay's zero-loss promise
 * needs); resolves with `{ url, port, stop() }` once it answers.
 */
export async function startRedis() {
  const dir = dataDir();
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'always', '--maxmemory-policy', 'noeviction'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (/Ready to accept connections/.test(out)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      cleanup(dir);
    },
  };
}
