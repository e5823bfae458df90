// Serves the built app (dist/) from converge's relay, which is also the sync server the
// replicas connect to: `converge-relay --static dist --data .relay-data` (SQLite in
// that directory, no configuration, loopback only). Builds the relay with cargo first
// (nothing to do when it is up to date). Prints the URL; Ctrl-C stops it cleanly.
//   node scripts/serve.mjs [--port 5173] [--dir dist] [--data .relay-data]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const relayBinary = join(repoRoot, 'target', 'debug', 'converge-relay');

/** Builds the relay (debug profile, as the tests use it). */
export function buildRelay() {
  const result = spawnSync('cargo', ['build', '--quiet', '-p', 'converge-relay'], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('cargo build -p converge-relay failed');
}

/**
 * Starts the relay serving `dir` with its data in `data`, on `port` (0: a free one).
 * Resolves `{ url, address, port, stop(signal) }` once it listens; `stop` resolves when
 * the process has exited. Build first with `buildRelay()`.
 */
export function startRelay({ dir, data, port = 0, host = '127.0.0.1', quiet = false }) {
  mkdirSync(data, { recursive: true });
  const child = spawn(
    relayBinary,
    ['--listen', `${host}:${port}`, '--data', resolve(data), '--static', resolve(dir)],
    { stdio: ['ignore', 'pipe', quiet ? 'ignore' : 'inherit'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } },
  );
  const exited = new Promise((done) => child.on('exit', (code, signal) => done({ code, signal })));
  return new Promise((done, fail) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\S+)/.exec(out);
      if (!match) return;
      const address = match[1];
      const listenPort = Number(address.split(':').at(-1));
      done({
        address,
        port: listenPort,
        url: `http://localhost:${listenPort}/`,
        exited,
        stop(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    child.on('exit', (code) => fail(new Error(`the relay exited (${code}) before listening`)));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const dir = arg('dir', fileURLToPath(new URL('../dist', import.meta.url)));
  const data = arg('data', fileURLToPath(new URL('../.relay-data', import.meta.url)));
  const port = Number(arg('port', process.env.PORT ?? 5173));
  buildRelay();
  const relay = await startRelay({ dir, data, port }).catch((error) => {
    console.error(`could not start the relay on port ${port}: ${error.message} (try PORT=5174 make demo)`);
    process.exit(1);
  });
  console.log(`\n  Booking board: ${relay.url}\n  Served by converge-relay, data in ${data}.`);
  console.log('  Open it in two tabs or two browsers; every replica syncs through the relay. Ctrl-C stops it.\n');
  const stop = async () => {
    await relay.stop('SIGTERM');
    console.log('\n  Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
