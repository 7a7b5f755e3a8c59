// Hostile text in the demo apps (Chromium through playwright-core, /usr/bin/chromium, against
// a real lineup-server serving www/ and the built package at /sdk/): UIDs, names, details,
// queue names and call data full of markup reach the customer, agent and supervisor pages
// only as text. No script runs, no element is made from them, and every page loads under
// the server's Content-Security-Policy without a violation or a page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { demoApps, DEMO_KEY as KEY } from './harness.mjs';

// The tests may use the demo app's md5 secret for REST; the pages never see it.

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
  + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Breaks out of an attribute (either quote) and out of an element, then tries markup.
const H = `"'><img src=x onerror="window.__pwned=1">`;
const AGENT_UID = `agt${H}`;
const AGENT_NICK = `Agent ${H}<script>window.__pwned=2</script>`;
const CALLER_UID = `agt2${H}`;
const CUST_UID = `cst${H}`;
const CUST_NICK = `Cust ${H}<svg onload="window.__pwned=3">`;
const DETAILS = `order ${H}<iframe srcdoc="<script>parent.__pwned=4</script>"></iframe>`;
const QUEUE_NAME = `Q${H}`;
const QUEUE_DESC = `desc <img src=x onerror="window.__pwned=5"><b>&amp;</b>`;
const CALL_EXT = `call ${H}<img src=x onerror="window.__pwned=6">`;

let world, base, browser, queID;
const pages = [];   // {name, page, csp: [], errors: []}

const api = (method, path, body) => world.api(method, path, body);

/** A page in its own browser context that records CSP violations and page errors. */
async function open(name, path) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  // Init scripts run through the DevTools protocol, not as page script: the CSP allows them.
  await ctx.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await ctx.newPage();
  const rec = { name, page, csp: [], errors: [] };
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) rec.csp.push(m.text()); });
  page.on('pageerror', (e) => rec.errors.push(String(e)));
  pages.push(rec);
  await page.goto(`${base}/${path}`);
  return page;
}

async function login(page, uid, nick) {
  await page.getByTestId('uid').fill(uid);
  if (nick !== undefined) await page.getByTestId('nick').fill(nick);
  await page.getByTestId('login').click();
}

/** Waits until the element with data-testid `id` (matched exactly, whatever it holds) shows `want` as its text. */
async function waitTestText(page, id, want, timeout = 8000) {
  await page.waitForFunction(([id, want]) => {
    const el = [...document.querySelectorAll('[data-testid]')].find((e) => e.dataset.testid === id);
    return el && el.offsetParent !== null && el.textContent.trim() === want;
  }, [id, want], { timeout });
}
async function waitContains(page, id, wants, timeout = 8000) {
  try {
    await page.waitForFunction(([id, wants]) => {
      const el = document.querySelector(`[data-testid="${id}"]`);
      return el && el.offsetParent !== null && wants.every((w) => el.textContent.includes(w));
    }, [id, wants], { timeout });
  } catch (e) {
    const got = await page.evaluate((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent, id);
    throw new Error(`${id} should contain ${JSON.stringify(wants)} but holds ${JSON.stringify(got)}: ${e.message}`);
  }
}
const visible = (page, id, timeout = 8000) => page.getByTestId(id).waitFor({ state: 'visible', timeout });

/** Nothing hostile ran or became an element; the page met its CSP. */
async function assertClean(rec) {
  const { name, page } = rec;
  const r = await page.evaluate(() => ({
    pwned: window.__pwned,
    parentPwned: typeof window.parent.__pwned,
    injected: [...document.querySelectorAll('img, svg, iframe, object, embed, [onerror], [onload], [srcdoc]')].map((e) => e.outerHTML),
    inlineScripts: [...document.scripts].filter((s) => !s.src).length,
    handlers: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName} ${a.name}`)),
    violations: window.__violations,
  }));
  assert.equal(r.pwned, undefined, `${name}: window.__pwned is set`);
  assert.equal(r.parentPwned, 'undefined', `${name}: parent.__pwned is set`);
  assert.deepEqual(r.injected, [], `${name}: elements made from hostile text`);
  assert.equal(r.inlineScripts, 0, `${name}: inline <script>`);
  assert.deepEqual(r.handlers, [], `${name}: inline event handler attributes`);
  assert.deepEqual(r.violations, [], `${name}: securitypolicyviolation events`);
  assert.deepEqual(rec.csp, [], `${name}: Content Security Policy messages`);
  assert.deepEqual(rec.errors, [], `${name}: page errors`);
}

before(async () => {
  world = await demoApps('lineup-xss-');
  ({ base, browser } = world);
  queID = (await api('POST', '/api/v1/apps/demo/queues', { QueueName: QUEUE_NAME, QueDesc: QUEUE_DESC })).QueueID;
  assert.equal(typeof queID, 'number');
});

after(async () => {
  await world?.close();
});

test('pages come with the CSP and the other security headers', async () => {
  for (const path of ['/customer.html', '/agent.html', '/supervisor.html', '/index.html', '/customer.js']) {
    const r = await fetch(base + path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('content-security-policy'), CSP, path);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', path);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', path);
  }
  // The demo pages carry no app secret; they get tokens from the demo server.
  for (const path of ['/customer.html', '/customer.js', '/agent.js', '/supervisor.js', '/index.html', '/i18n.js', '/ui.js']) {
    const body = await (await fetch(base + path)).text();
    assert.ok(!body.includes(KEY) && !/md5/i.test(body), `${path} carries the secret or its md5`);
  }
  const r = await fetch(base + '/api/v1/demo/token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ UID: 'x', nickName: 'X', roles: ['customer'] }),
  });
  const v = await r.json();
  assert.equal(v.err, 0, JSON.stringify(v));
  assert.match(v.token, /^lu1\./);
});

test('the start page loads under the CSP', async () => {
  const page = await open('index', 'index.html');
  await page.waitForFunction(() => document.getElementById('health').textContent === 'healthy', null, { timeout: 8000 });
  assert.match(await page.locator('main').innerText(), /\/api\/v1\/demo\/token/);
  await page.click('#lang');
  assert.equal(await page.locator('h1').innerText(), 'Lineup 演示');
  await assertClean(pages.at(-1));
});

test('hostile UIDs, names, details, queue names and call data stay text on every page', async () => {
  // ---- the customer waits in the hostile queue, with hostile details ----
  const cust = await open('customer', 'customer.html?autologin=0');
  await login(cust, CUST_UID, CUST_NICK);
  await visible(cust, `join-${queID}`);
  assert.equal(await cust.locator('#who').textContent(), CUST_UID);
  const li = cust.locator(`li[data-queue="${queID}"]`);
  assert.equal(await li.locator('strong').textContent(), QUEUE_NAME);
  assert.equal(await li.locator('.muted').textContent(), QUEUE_DESC);
  await cust.getByTestId('details').fill(DETAILS);
  await cust.getByTestId(`join-${queID}`).click();
  await waitTestText(cust, 'position', '0');
  assert.equal(await cust.locator('#waitQueue').textContent(), QUEUE_NAME);

  // ---- the hostile agent serves the queue and sees the waiting list ----
  const agent = await open('agent', 'agent.html');
  await login(agent, AGENT_UID, AGENT_NICK);
  await visible(agent, 'queues');
  assert.equal(await agent.locator('#who').textContent(), AGENT_UID);
  await waitContains(agent, 'queues', [QUEUE_NAME]);
  await agent.getByTestId('mode-manual').check();   // DND: the customer stays in the list
  await agent.waitForTimeout(200);
  await agent.getByTestId(`serve-${queID}`).check();
  await waitTestText(agent, `forward-${CUST_UID}`, 'Forward to');
  await waitContains(agent, 'waiting-list', [CUST_NICK, DETAILS, QUEUE_NAME]);
  assert.equal(await agent.locator('#waiting li').getAttribute('data-user'), CUST_UID);
  // DND off: the customer is offered, with its name and details.
  await agent.getByTestId('mode-auto').check();
  await visible(agent, 'offer');
  assert.equal(await agent.getByTestId('offer-user').textContent(), CUST_NICK);
  assert.equal(await agent.locator('#offerExt').textContent(), DETAILS);
  await agent.getByTestId('accept-offer').click();
  await waitTestText(agent, 'current-user', CUST_NICK);
  assert.equal(await agent.locator('#curExt').textContent(), DETAILS);
  await visible(cust, 'served');

  // ---- the supervisor's tables and event stream show the hostile agent ----
  const sup = await open('supervisor', 'supervisor.html');
  await login(sup, 'sam');
  await visible(sup, 'agents');
  await waitContains(sup, 'agents', [AGENT_NICK, CUST_UID]);
  await waitTestText(sup, `agent-customer-${AGENT_UID}`, CUST_UID);
  assert.equal(await sup.locator('#agents tr').first().getAttribute('data-agent'), AGENT_UID);
  await waitContains(sup, 'events', [AGENT_UID]);
  await waitContains(sup, 'stats', [QUEUE_NAME]);

  // ---- a call with hostile usrExtDat, from a second (hostile) agent client in the agent page ----
  await agent.evaluate(async ([uid, callee, ext]) => {
    const { connect } = await import('/sdk/index.js');
    const r = await fetch('/api/v1/demo/token', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ UID: uid, nickName: uid, roles: ['agent'] }),
    });
    const { token } = await r.json();
    const caller = await connect({ server: location.origin, token, userID: uid, nickName: uid });
    const room = await caller.createMeeting(ext, 'pw');
    await caller.enterMeeting(room.ID, room.pswd);
    window.__caller = { client: caller, callID: await caller.call(callee, room.ID, ext) };
  }, [CALLER_UID, CUST_UID, CALL_EXT]);
  await visible(cust, 'ringing');
  await waitTestText(cust, 'call-note-text', CALL_EXT);
  await cust.getByTestId('accept-call').click();
  await visible(cust, 'conversation');
  await cust.waitForFunction(() => document.querySelectorAll('[data-testid="events"] div').length >= 2);
  await agent.evaluate(() => window.__caller.client.hangupCall(window.__caller.callID, `<img src=x onerror="window.__pwned=7">`));
  await visible(cust, 'call-ended');

  // ---- and the page's own call, from the agent console ----
  await agent.getByTestId('call').click();
  await visible(cust, 'ringing');
  assert.equal(await cust.getByTestId('call-note').isVisible(), false, 'no note with an empty usrExtDat');
  await cust.getByTestId('accept-call').click();
  await visible(cust, 'conversation');
  await agent.waitForFunction(() => document.querySelectorAll('[data-testid="events"] div').length >= 2);
  await agent.getByTestId('hang-up').click();
  await visible(cust, 'call-ended');
  // The agent's hang-up ends the service: counted in "My work".
  await agent.getByTestId('current').waitFor({ state: 'hidden' });
  await waitTestText(agent, 'served-count', '1');

  // ---- Chinese labels re-render everything: still text ----
  for (const rec of pages.filter((p) => p.name !== 'index')) await rec.page.click('#lang');
  assert.equal(await agent.getByTestId(`serve-${queID}`).isChecked(), true);
  assert.equal(await agent.getByTestId('next-customer').innerText(), '请求下一位客户');
  assert.equal(await cust.getByTestId('call-ended').innerText(), '通话已结束');
  await waitContains(sup, 'agents', [AGENT_NICK, '空闲']);
  await waitContains(sup, 'events', ['空闲']);
  await waitContains(agent, 'queues', [QUEUE_NAME]);
  await waitContains(cust, 'events', ['#']);
  await sup.waitForTimeout(2500);   // one more refresh of the board

  for (const rec of pages) await assertClean(rec);
});
