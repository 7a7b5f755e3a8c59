// Cross-origin failures, named: a page on one loopback origin (a plain static server, as
// a business site is) and lineup-server on another port. Without --cors-origin the
// login fails with CREATE_CONN_FAILED (203) and a message naming --cors-origin — a
// rejected promise on the modern API, LoginFail on the classic script, also when the
// classic script itself comes from that server and cannot load its module. With the
// page's origin in --cors-origin the same pages log in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, normalize } from 'node:path';
import { js, startServer, launchChromium, DEMO_KEY } from './harness.mjs';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
let site, siteBase, closed, open, browser, dataDirs = [];

/** A static server of js/dist under /dist/ and an empty page, on a free port. */
function staticSite() {
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = path.startsWith('/dist/') ? join(js, 'dist', normalize(path.slice(6)).replace(/^(\.\.[/\\])+/, '')) : null;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>a business site</title>');
    } else if (file && existsSync(file)) {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' }).end(readFileSync(file));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function lineup(args) {
  const dir = mkdtempSync(join(tmpdir(), 'lineup-cors-'));
  dataDirs.push(dir);
  return startServer(['--data', dir, '--sdk', join(js, 'dist'), ...args]);
}

/** A token for a new customer, minted as a business backend does (no CORS in Node). */
async function token(base) {
  const r = await fetch(`${base}/api/v1/apps/demo/tokens`, {
    method: 'POST', headers: { Authorization: `Bearer ${DEMO_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ UID: 'cors-' + Math.random().toString(36).slice(2), nickName: 'Cross-origin', roles: ['customer'] }),
  });
  const v = await r.json();
  assert.equal(v.err, 0, JSON.stringify(v));
  return v.token;
}

before(async () => {
  assert.ok(existsSync(join(js, 'dist', 'lineup_sdk_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  site = await staticSite();
  siteBase = `http://127.0.0.1:${site.address().port}`;
  closed = await lineup([]);
  open = await lineup(['--cors-origin', siteBase]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  closed?.stop();
  open?.stop();
  site?.close();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

/** connect() from the site's page (the SDK from the site) to `server`. */
async function modernLogin(server) {
  const page = await browser.newPage();
  await page.goto(siteBase + '/');
  const r = await page.evaluate(async ({ server, token }) => {
    const { connect, LineupError } = await import('/dist/index.js');
    try {
      const client = await connect({ server, token });
      return { state: client.state };
    } catch (e) {
      return { isLineupError: e instanceof LineupError, code: e.code, message: e.message };
    }
  }, { server: server.base, token: await token(server.base) });
  await page.close();
  return r;
}

/** The classic script from `script`'s origin, logging in to `server` with a token: the
 * first LoginSuccess / LoginFail, and those of a second login made after the first. */
async function classicLogin(script, server) {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(siteBase + '/');
  await page.addScriptTag({ url: script });
  const log = await page.evaluate(async ({ server, tokens }) => {
    const log = [];
    await new Promise((resolve) => {
      CRVideo_Init();
      CRVideo_SetServerAddr(server);
      CRVideo_LoginSuccess.callback = (UID, cookie) => { log.push(['LoginSuccess', cookie]); resolve(); };
      CRVideo_LoginFail.callback = (sdkErr, cookie) => {
        log.push(['LoginFail', sdkErr, cookie]);
        if (cookie === 'first') CRVideo_LoginByToken(tokens[1], 'Again', '', '', 'second'); else resolve();
      };
      CRVideo_LoginByToken(tokens[0], 'Classic', '', '', 'first');
      setTimeout(resolve, 8000);
    });
    return log;
  }, { server: server.base, tokens: [await token(server.base), await token(server.base)] });
  await page.close();
  return { log, errors };
}

test('a modern page of an origin the server does not allow is told 203 and --cors-origin', async () => {
  const r = await modernLogin(closed);
  assert.equal(r.isLineupError, true, JSON.stringify(r));
  assert.equal(r.code, 203);
  assert.match(r.message, new RegExp(`cannot reach ${closed.base}/api/v1/login from ${siteBase}`));
  assert.match(r.message, new RegExp(`--cors-origin ${siteBase}`));
});

test('the same modern page logs in once the server allows its origin', async () => {
  assert.deepEqual(await modernLogin(open), { state: 'online' });
});

test('a classic page whose login is blocked gets LoginFail 203, each time', async () => {
  const { log, errors } = await classicLogin(`${siteBase}/dist/lineup-crvideo.js`, closed);
  assert.deepEqual(log, [['LoginFail', 203, 'first'], ['LoginFail', 203, 'second']]);
  assert.ok(errors.some((e) => e.includes('CORS')), errors.join('\n'));
});

test('a classic script from a server that does not allow the page cannot load its module: LoginFail 203, no hang', async () => {
  const { log, errors } = await classicLogin(`${closed.base}/sdk/lineup-crvideo.js`, closed);
  assert.deepEqual(log, [['LoginFail', 203, 'first'], ['LoginFail', 203, 'second']]);
  assert.ok(errors.some((e) => e.includes(`lineup: cannot load the SDK core from ${closed.base}/sdk/`) && e.includes(`--cors-origin ${siteBase}`)), errors.join('\n'));
});

test('the classic script from a server that allows the page loads and logs in', async () => {
  const { log, errors } = await classicLogin(`${open.base}/sdk/lineup-crvideo.js`, open);
  assert.deepEqual(log, [['LoginSuccess', 'first']], errors.join('\n'));
});
