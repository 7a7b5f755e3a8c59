// What the browser tests share: a real lineup-server on a free 127.0.0.1 port, and
// Debian's Chromium through playwright-core (never a downloaded browser).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

export const js = join(dirname(fileURLToPath(import.meta.url)), '..');
export const root = join(js, '..');

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/** Starts target/debug/lineup-server with `args` (plus --listen on `host`, on `port` or a
 * free one); resolves once /healthz answers. `stop(signal)` ends it; `exited` settles
 * when it has. */
export async function startServer(args, port, host = '127.0.0.1') {
  port = port ?? await freePort();
  const base = `http://${host}:${port}`;
  const child = spawn(join(root, 'target', 'debug', 'lineup-server'), ['--listen', `${host}:${port}`, ...args],
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

/** Debian's Chromium, headless; `extra` adds flags (fake media devices, say);
 * `executablePath` another way to start it (a wrapper that runs it elsewhere). */
export function launchChromium(extra = [], executablePath = '/usr/bin/chromium') {
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extra],
  });
}

/** Chromium flags for calls: fake camera and microphone, no permission prompt, loopback
 * candidates, autoplay. */
export const FAKE_MEDIA = [
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

/** A server with the fixture pages (test/fixtures) and the built package (/sdk/) on a
 * fresh data directory, and Chromium with `flags`; `close()` ends both and removes the
 * directory. */
export async function fixtureServer(prefix, flags = []) {
  assert.ok(existsSync(join(js, 'dist', 'lineup_crvideo_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const server = await startServer(['--data', dataDir, '--www', join(js, 'test', 'fixtures'), '--sdk', join(js, 'dist')]);
  const browser = await launchChromium(flags);
  return {
    server, browser, dataDir,
    async close() {
      await browser.close();
      server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The demo app's md5(secret): the tests use it for REST; the pages never see it. */
export const DEMO_KEY = 'fe01ce2a7fbac8fafaed7c982a04e229';

/** A Web API call to the demo app; asserts RspCode 0 and returns Data. */
export async function demoApi(base, method, path, body) {
  const r = await fetch(base + path, {
    method, headers: { Authorization: `Bearer ${DEMO_KEY}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
  });
  const v = await r.json();
  assert.equal(v.RspCode, 0, JSON.stringify(v));
  return v.Data;
}

/** A server with the demo apps (www/) and the built package (/sdk/) on a fresh data
 * directory, and Chromium with `flags` (FAKE_MEDIA for calls with devices); `close()`
 * ends all three. */
export async function demoApps(prefix, flags = []) {
  assert.ok(existsSync(join(js, 'dist', 'lineup_sdk_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const server = await startServer(['--data', dataDir, '--www', join(root, 'www'), '--sdk', join(js, 'dist')]);
  const browser = await launchChromium(flags);
  return {
    server, browser, base: server.base,
    api: (method, path, body) => demoApi(server.base, method, path, body),
    async close() {
      await browser.close();
      server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the page's `window.__log` (a list of `[name, ...args]` its callbacks
 * record) has an entry that satisfies `pred`; returns it, or throws after `ms`. */
export async function logged(page, what, pred, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const log = await page.evaluate(() => window.__log || []);
    const hit = log.find(pred);
    if (hit) return hit;
    if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms; log: ${JSON.stringify(log)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The inbound RTP figures of a CRVideo page: video frames decoded, audio bytes received. */
export async function inbound(page) {
  return page.evaluate(async () => {
    const report = await CRVideo_GetMediaStats();
    const out = { framesDecoded: 0, audioBytes: 0 };
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') out.framesDecoded += s.framesDecoded || 0;
      if (s.kind === 'audio') out.audioBytes += s.bytesReceived || 0;
    });
    return out;
  });
}

/** How much `inbound(page)[key]` grew within `ms` (0: it did not). */
export async function grows(page, key, ms = 8000) {
  const before = (await inbound(page))[key];
  const end = Date.now() + ms;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = (await inbound(page))[key];
    if (now > before) return now - before;
    if (Date.now() > end) return 0;
  }
}
