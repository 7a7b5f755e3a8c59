// The READMEs' examples, extracted and run so they cannot rot. Each block tagged
// `<!-- example: name -->` runs as a user would run it: js/README.md's backend function
// mints the tokens of a business site (a Node server on one loopback origin, the
// signed-in user in a cookie), its customer page (CloudRoom style) and agent page
// (modern API) run there in Chromium against lineup-server on another origin (started
// with --cors-origin), and README.md's shell session runs against a server. No example
// puts a secret in a page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { js, root, startServer, launchChromium, DEMO_KEY } from './harness.mjs';

const PLACEHOLDER = 'https://lineup.example.com';
let scratch, lineup, site, siteBase, browser;

/** The fenced blocks of `file`: `{tag, lang, code}`, `tag` from a preceding
 * `<!-- example: tag -->` line. */
function blocks(file) {
  const out = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/(?:<!-- example: ([\w-]+) -->\n)?```(\w*)\n([\s\S]*?)```/g)) {
    out.push({ tag: m[1], lang: m[2], code: m[3] });
  }
  return out;
}

const jsReadme = blocks(join(js, 'README.md'));
const rootReadme = blocks(join(root, 'README.md'));
const example = (list, tag) => {
  const b = list.find((x) => x.tag === tag);
  assert.ok(b, `no example ${tag}`);
  return b.code.replaceAll(PLACEHOLDER, lineup.base);
};

/** What every example page gets before its own code: the page's helpers, recording. */
const HELPERS = `<script>
window.__log = [];
for (const name of ['show', 'showCustomer', 'hideOffer', 'alert']) window[name] = (...args) => window.__log.push([name, ...args]);
</script>`;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'lineup-readme-'));
  // The business site's origin must be known before lineup-server starts.
  site = createServer();
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  siteBase = `http://127.0.0.1:${site.address().port}`;
  lineup = await startServer(['--data', join(scratch, 'data'), '--sdk', join(js, 'dist'), '--cors-origin', siteBase]);
  process.env.LINEUP_SERVER = lineup.base;
  process.env.LINEUP_APP = 'demo';
  process.env.LINEUP_APP_KEY = DEMO_KEY;
  writeFileSync(join(scratch, 'backend.mjs'), example(jsReadme, 'backend'));
  const { mintLineupToken } = await import(pathToFileURL(join(scratch, 'backend.mjs')).href);
  const pages = {
    '/customer.html': `<!doctype html>${HELPERS}${example(jsReadme, 'customer')}`,
    '/agent.html': `<!doctype html>${HELPERS}<script type="importmap">{"imports":{"lineup-sdk":"${lineup.base}/sdk/index.js"}}</script>
<script type="module">${example(jsReadme, 'agent')}</script>`,
  };
  site.on('request', async (req, res) => {
    const path = new URL(req.url, siteBase).pathname;
    if (pages[path]) return res.writeHead(200, { 'content-type': 'text/html' }).end(pages[path]);
    if (path === '/lineup-token' && req.method === 'POST') {
      // The signed-in user, as the site's session knows it.
      const [UID, role] = (/user=(\w+)\.(\w+)/.exec(req.headers.cookie || '') || []).slice(1);
      if (!UID) return res.writeHead(401).end();
      try {
        const { token } = await mintLineupToken({ UID, nickName: UID, roles: [role] });
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
      } catch (e) {
        return res.writeHead(500).end(String(e));
      }
    }
    res.writeHead(404).end();
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  lineup?.stop();
  site?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Opens `path` of the site as `user` (`UID.role`) in a context of its own. */
async function openAs(user, path) {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'user', value: user, url: siteBase }]);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(siteBase + path);
  return { page, errors, close: () => context.close() };
}

async function logged(page, name, errors) {
  await page.waitForFunction((name) => window.__log.some((e) => e[0] === name), name, { timeout: 15000 })
    .catch(async () => { throw new Error(`no ${name}: log ${JSON.stringify(await page.evaluate(() => window.__log))}, errors ${errors}`); });
  return (await page.evaluate(() => window.__log)).find((e) => e[0] === name);
}

test('no example puts a secret in a page or calls an undefined md5()', () => {
  for (const b of [...jsReadme, ...rootReadme].filter((b) => ['js', 'html', 'ts'].includes(b.lang) && b.tag !== 'backend')) {
    assert.doesNotMatch(b.code, /md5|appSecret|fe01ce2a7fbac8fafaed7c982a04e229/i, b.code);
    // A page example that logs in is one of those run below.
    if (/connect\(|CRVideo_Login/.test(b.code)) assert.ok(b.tag, `an untagged example logs in:\n${b.code}`);
  }
});

test("js/README's customer and agent pages log in with the backend's tokens, and the agent takes the customer", async () => {
  const customer = await openAs('bob.customer', '/customer.html');
  const shown = await logged(customer.page, 'show', customer.errors);
  assert.equal(typeof shown[1], 'number', 'the position');
  const agent = await openAs('ann.agent', '/agent.html');
  const taken = await logged(agent.page, 'showCustomer', agent.errors);
  assert.equal(taken[1], 'bob');
  assert.deepEqual([...customer.errors, ...agent.errors], []);
  assert.equal((await customer.page.evaluate(() => window.__log)).some((e) => e[0] === 'alert'), false);
  await customer.close();
  await agent.close();
});

test("README's shell session mints a token, logs in with it and lists the queues", () => {
  const out = execFileSync('sh', ['-ec', example(rootReadme, 'try-by-hand').replaceAll('localhost:8080', lineup.base)]).toString();
  // curl prints each reply without a newline: one JSON object after the other.
  const [login, queues] = out.trim().split(/(?<=\})\s*(?=\{)/).map((l) => JSON.parse(l));
  assert.equal(login.err, 0, JSON.stringify(login));
  assert.equal(typeof login.ticket, 'string');
  assert.equal(queues.RspCode, 0);
  assert.match(JSON.stringify(queues.Data), /"QueueName"/, JSON.stringify(queues));
});
