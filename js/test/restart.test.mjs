// A page on the SDK survives a server restart: the customer page (CloudRoom surface)
// shows Reconnecting, then Reconnected, never LineOff, and keeps its place; once after
// SIGTERM (close 1001) and once after SIGKILL (the connection just drops).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { js, root, startServer, launchChromium } from './harness.mjs';

const GENERAL = 3;
const dataDir = mkdtempSync(join(tmpdir(), 'lineup-restart-'));
const args = ['--data', dataDir, '--www', join(root, 'www'), '--sdk', join(js, 'dist')];
let server, browser;

after(async () => {
  await browser?.close();
  server?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function customer(uid) {
  const ctx = await browser.newContext({ viewport: { width: 420, height: 860 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { throw new Error(`${uid}: ${e}`); });
  await page.goto(`${server.base}/customer.html?autologin=0`);
  await page.evaluate(() => {
    window.__events = [];
    for (const name of ['Reconnecting', 'Reconnected', 'LineOff']) {
      const hook = window[`CRVideo_${name}`];
      const page = hook.callback;
      hook.callback = (...a) => { window.__events.push(name); if (page) page(...a); };
    }
  });
  await page.getByTestId('uid').fill(uid);
  await page.getByTestId('login').click();
  await page.getByTestId(`join-${GENERAL}`).click();
  return page;
}

const position = (page) => page.getByTestId('position').innerText();
async function waitPosition(page, want) {
  await page.waitForFunction((want) => document.querySelector('[data-testid="position"]').innerText.trim() === String(want),
    want, { timeout: 8000 });
}

test('a waiting customer page survives SIGTERM and SIGKILL restarts with its place', async () => {
  assert.ok(existsSync(join(js, 'dist', 'lineup_sdk_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  server = await startServer(args);
  const port = server.port;
  browser = await launchChromium();
  const first = await customer('rita');
  await waitPosition(first, 0);
  const second = await customer('rolf');
  await waitPosition(second, 1);

  for (const signal of ['SIGTERM', 'SIGKILL']) {
    server.stop(signal);
    const how = await server.exited;
    if (signal === 'SIGTERM') assert.equal(how.code, 0, `a graceful stop exits 0: ${JSON.stringify(how)}`);
    await second.getByTestId('reconnecting').waitFor({ state: 'visible', timeout: 8000 });
    server = await startServer(args, port);
    for (const page of [first, second]) {
      await page.getByTestId('reconnecting').waitFor({ state: 'hidden', timeout: 20000 });
      const events = await page.evaluate(() => window.__events.splice(0));
      assert.deepEqual([events[0], events.at(-1)], ['Reconnecting', 'Reconnected'], `${signal}: ${events}`);
      assert.ok(!events.includes('LineOff'), `${signal}: no LineOff (${events})`);
      assert.equal(await page.getByTestId('error').isVisible(), false);
    }
    await waitPosition(first, 0);
    await waitPosition(second, 1);
    assert.equal(await position(second), '1', `${signal}: the place is kept`);
  }
  // And the queue goes on: the first customer leaves, the second moves up.
  await first.getByTestId('leave').click();
  await waitPosition(second, 0);
});
