// What the browser tests share: a real lineup-server on a free 127.0.0.1 port, and
// Debian's Chromium through playwright-core (never a downloaded browser).
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

export const js = join(dirname(fileURLToPath(import.meta.url)), '..');
export const root = join(js, '..');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/** Starts target/debug/lineup-server with `args` (plus --listen, on `port` or a free one);
 * resolves once /healthz answers. `stop(signal)` ends it; `exited` settles when it has. */
export async function startServer(args, port) {
  port = port ?? await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(join(root, 'target', 'debug', 'lineup-server'), ['--listen', `127.0.0.1:${port}`, ...args],
    { stdio: 'ignore', env: { ...process.env, LINEUP_LOG: 'warn' } });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(base + '/healthz')).ok) return { base, port, exited, stop: (signal) => child.kill(signal) };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('lineup-server did not start within 15 s');
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
