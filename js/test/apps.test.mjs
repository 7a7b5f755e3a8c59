// The demo apps in Chromium (playwright-core, /usr/bin/chromium), one browser context
// per person, against a real lineup-server serving www/ and the built package at /sdk/.
// Screenshots of each page go to target/app-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, demoApps, DEMO_KEY as KEY } from './harness.mjs';

const shots = join(root, 'target', 'app-screenshots');
const GENERAL = 3;
let world, base, browser;
const people = {};

const api = (method, path, body) => world.api(method, path, body);

async function person(name, pageName, uid) {
  // A phone-sized screen: every page must fit it (see fits()).
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { throw new Error(`${name}: ${e}`); });
  await page.goto(`${base}/${pageName}.html?autologin=0`);
  await page.getByTestId('uid').fill(uid);
  await page.getByTestId('login').click();
  people[name] = page;
  return page;
}

const text = (page, id) => page.getByTestId(id).innerText();
async function waitText(page, id, expected, timeout = 8000) {
  await page.waitForFunction(([id, want]) => {
    const el = document.querySelector(`[data-testid="${id}"]`);
    return el && el.offsetParent !== null && el.innerText.trim() === want;
  }, [id, String(expected)], { timeout });
}
async function visible(page, id, timeout = 8000) {
  await page.getByTestId(id).waitFor({ state: 'visible', timeout });
}
/** The page is no wider than the screen (nothing pushes it sideways); the message names
 * the elements that stick out past the right edge. */
async function fits(page, name) {
  const r = await page.evaluate(() => {
    const w = window.innerWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > w + 0.5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).replace(/ /g, '.') : ''} ${Math.round(e.getBoundingClientRect().right)}`);
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: w, wide: wide.slice(0, 8) };
  });
  assert.ok(r.scrollWidth <= r.innerWidth, `${name}: page ${r.scrollWidth} px wide on a ${r.innerWidth} px screen; past the edge: ${r.wide.join(', ')}`);
}
/** An empty call-events box is not drawn (no dark empty bar): hidden, or with text. */
async function noEmptyEventsBar(page, name) {
  const bar = await page.evaluate(() => {
    const box = document.querySelector('[data-testid="events"]');
    if (!box || box.offsetParent === null || box.getBoundingClientRect().height === 0) return null;
    return box.innerText.trim() === '' ? getComputedStyle(box).backgroundColor : null;
  });
  assert.equal(bar, null, `${name}: the empty events box is drawn (background ${bar})`);
}
const seconds = (mss) => { const [m, s] = mss.trim().split(':').map(Number); return m * 60 + s; };

async function shot(page, name) {
  await fits(page, name);
  await noEmptyEventsBar(page, name);
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

before(async () => {
  world = await demoApps('lineup-apps-');
  ({ base, browser } = world);
  await api('PUT', '/api/v1/apps/demo/settings', { offerTimeoutSeconds: 3, reofferDelaySeconds: 0 });
  await api('PUT', `/api/v1/apps/demo/queues/${GENERAL}`, { WrapUpSeconds: 1 });
});

after(async () => {
  await world?.close();
});

test('two customers and one agent: offer, accept, call, conversation, hang up, wrap-up, next offer', async () => {
  const c1 = await person('c1', 'customer', 'carl');
  await c1.getByTestId(`join-${GENERAL}`).click();
  await waitText(c1, 'position', 0);
  const c2 = await person('c2', 'customer', 'cora');
  await c2.getByTestId('details').fill('order 42');
  await c2.getByTestId(`join-${GENERAL}`).click();
  await waitText(c2, 'position', 1);
  await shot(c2, 'customer-waiting');

  const agent = await person('agent', 'agent', 'anna');
  await visible(agent, 'queues');
  // No call yet: a muted placeholder instead of the events box.
  await noEmptyEventsBar(agent, 'agent before any call');
  await waitText(agent, 'events-empty', 'No call events yet');
  await agent.getByTestId(`serve-${GENERAL}`).check();
  await visible(agent, 'offer');
  assert.equal((await text(agent, 'offer-user')).trim(), 'carl');
  await shot(agent, 'agent-offer');
  await agent.getByTestId('accept-offer').click();
  await waitText(agent, 'current-user', 'carl');
  await waitText(c2, 'position', 0);
  await agent.getByTestId('call').click();
  await visible(c1, 'ringing');
  // The customer is told which agent calls (the name when known, else the UID; both "anna").
  assert.match(await text(c1, 'ringing-peer'), /anna/);
  await shot(c1, 'customer-ringing');
  await c1.getByTestId('accept-call').click();
  await visible(c1, 'conversation');
  assert.match(await text(c1, 'call-peer'), /In conversation with anna/);
  await agent.waitForFunction(() => document.querySelector('[data-testid="call-state"]').innerText.length > 0);
  // Both pages show the conversation's events, with increasing ids.
  await c1.waitForFunction(() => document.querySelectorAll('[data-testid="events"] div').length >= 2);
  const ids = (await agent.getByTestId('events').innerText()).split('\n').map((l) => Number(l.split(' ')[0].slice(1)));
  assert.ok(ids.length >= 2 && ids.every((id, i) => i === 0 || id > ids[i - 1]), `event ids ${ids}`);
  await shot(agent, 'agent-in-call');
  await shot(c1, 'customer-in-call');

  await agent.getByTestId('hang-up').click();
  await visible(c1, 'call-ended');
  // After the 1 s wrap-up the second customer is offered.
  await agent.waitForFunction(() => document.querySelector('[data-testid="offer-user"]').innerText.trim() === 'cora', null, { timeout: 8000 });
  await visible(agent, 'offer');
});

test('reject and offer timeout return the customer to the head', async () => {
  const agent = people.agent;
  const c3 = await person('c3', 'customer', 'cleo');
  await c3.getByTestId(`join-${GENERAL}`).click();
  await waitText(c3, 'position', 1);
  // cleo's waiting time in the agent's list ticks (read again after the 3 s offer timeout below).
  const waited = agent.getByTestId('waited-cleo');
  await waited.waitFor({ state: 'visible', timeout: 8000 });
  const waitedBefore = seconds(await waited.innerText());
  // With a waiting customer's row (Forward select and button) and call events, the console fits.
  await fits(agent, 'agent with a waiting customer');
  await agent.getByTestId('reject-offer').click();
  // cora is back at the head (and offered again: re-offer delay 0 in this app).
  await waitText(people.c2, 'position', 0);
  await waitText(c3, 'position', 1);
  await visible(agent, 'offer');
  // The countdown starts from the app's offer timeout (3 s here).
  assert.ok(Number(await text(agent, 'offer-left')) <= 3, 'countdown from offerTimeoutSeconds');
  // Not answered within 3 s: withdrawn (the agent page says why), cora still at the head.
  await waitText(agent, 'offer-note', 'Offer withdrawn (cora): not answered in time');
  const waitedAfter = seconds(await waited.innerText());
  assert.ok(waitedAfter >= waitedBefore + 2, `cleo's waiting time ticks: ${waitedBefore} s, then ${waitedAfter} s`);
  await waitText(people.c2, 'position', 0);
  await shot(people.c2, 'customer-back-at-head');
});

test('manual mode: DND on, "next customer" takes the head customer', async () => {
  const agent = people.agent;
  await agent.getByTestId('mode-manual').check();
  // A pending offer may still be shown: answer it so the agent is free, then take by hand.
  if (await agent.getByTestId('offer').isVisible()) await agent.getByTestId('reject-offer').click();
  await agent.waitForTimeout(300);
  await agent.getByTestId('next-customer').click();
  await waitText(agent, 'current-user', 'cora');
  await visible(people.c2, 'served');
  await agent.getByTestId('finish').click();
  await agent.getByTestId('current').waitFor({ state: 'hidden' });
});

test('the supervisor page shows what happened', async () => {
  const sup = await person('sup', 'supervisor', 'sam');
  await visible(sup, 'stats');
  await sup.waitForFunction((q) => document.querySelector(`[data-testid="served-${q}"]`), GENERAL, { timeout: 8000 });
  const stats = await (await fetch(`${base}/api/v1/apps/demo/queues/${GENERAL}/statistics`, { headers: { Authorization: `Bearer ${KEY}` } })).json();
  await waitText(sup, `served-${GENERAL}`, stats.Data.served);
  await waitText(sup, `waiting-${GENERAL}`, stats.Data.waiting);
  assert.equal(stats.Data.served, 2, 'carl and cora were served');
  assert.equal(stats.Data.waiting, 1, 'cleo waits');
  await sup.waitForFunction(() => document.querySelector('[data-agent="anna"]'));
  await sup.waitForTimeout(2500); // one more sample for the charts
  await shot(sup, 'supervisor');
});

test('a customer reloads the page mid-wait and keeps its place', async () => {
  const c3 = people.c3;
  await waitText(c3, 'position', 0);
  await c3.goto(`${base}/customer.html`); // auto-login with the saved user id
  await waitText(c3, 'position', 0);
  await visible(c3, 'waiting');
  await shot(c3, 'customer-after-reload');
  // The language switch works on a phone-sized screen: English, then Chinese.
  assert.equal(await c3.getByTestId('leave').innerText(), 'Leave the queue');
  await c3.click('#lang');
  assert.equal(await c3.getByTestId('leave').innerText(), '停止排队');
  assert.equal(await c3.evaluate(() => document.documentElement.lang), 'zh-CN');
});

test('the agent forwards a waiting customer to another queue', async () => {
  const agent = people.agent;
  const c3 = people.c3;
  const row = agent.getByTestId('forward-cleo');
  await row.waitFor({ state: 'visible', timeout: 8000 });
  await row.locator('xpath=preceding-sibling::select').selectOption('1');
  await row.click();
  // cleo's page follows her to the VIP queue, at its head.
  await c3.waitForFunction(() => document.getElementById('waitQueue').innerText.trim() === 'VIP customers', null, { timeout: 8000 });
  await waitText(c3, 'position', 0);
  await agent.getByTestId('forward-cleo').waitFor({ state: 'detached', timeout: 8000 });
});
