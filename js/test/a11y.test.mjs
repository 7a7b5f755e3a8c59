// Accessibility of the demo apps, which agents live in all day (Chromium with fake
// devices, a real lineup-server): every page before login, logged in, with an offer and
// during a call passes an axe-core audit with no critical or serious violation; and the
// agent's and the customer's whole path, login to hang-up, works from the keyboard
// alone (Tab to reach a control, Enter or Space to use it; no mouse).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { js, demoApps, launchChromium, FAKE_MEDIA } from './harness.mjs';

const AXE = readFileSync(join(js, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const GENERAL = 3;
let world, base, browser;

async function open(pageName) {
  // bypassCSP: the audit's script is added to the page (the pages' own policy is theirs).
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  await ctx.grantPermissions(['camera', 'microphone']);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { throw new Error(`${pageName}: ${e}`); });
  await page.goto(`${base}/${pageName}.html?autologin=0`);
  return page;
}

/** axe-core's audit of the page as it is now: no critical or serious violation. */
async function audit(page, name) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join('; ')}`);
  });
  assert.deepEqual(found, [], `${name}:\n${found.join('\n')}`);
}

/** Presses Tab until the control `testid` has the focus (at most 80 presses): it can
 * be reached from the keyboard, in the page's order. */
async function tabTo(page, testid) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((id) => document.activeElement?.dataset?.testid === id, testid)) return;
  }
  const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
  assert.fail(`${testid} cannot be reached with Tab (focus ends on ${at})`);
}

async function keyTo(page, testid, key = 'Enter') {
  await tabTo(page, testid);
  await page.keyboard.press(key);
}

async function typeInto(page, testid, text) {
  await tabTo(page, testid);
  await page.keyboard.type(text);
}

const visible = (page, id, timeout = 10000) => page.getByTestId(id).waitFor({ state: 'visible', timeout });

before(async () => {
  world = await demoApps('lineup-a11y-');
  base = world.base;
  browser = await launchChromium(FAKE_MEDIA);
  await world.api('PUT', '/api/v1/apps/demo/reasons', { reasons: [{ DNDType: 2, label: 'Break' }] });
  await world.api('PUT', '/api/v1/apps/demo/settings', { offerTimeoutSeconds: 60 });
});

after(async () => {
  await browser?.close();
  await world?.close();
});

test('every page passes axe-core and the whole call path works from the keyboard alone', async () => {
  for (const name of ['index', 'agent', 'customer', 'supervisor']) {
    const page = await open(name);
    await audit(page, `${name} page before login`);
    if (name === 'index') await page.context().close();
  }

  const boss = await open('supervisor');
  await keyTo(boss, 'login');
  await boss.waitForFunction(() => !document.getElementById('board').classList.contains('hidden'));

  // The agent logs in, serves a queue and takes a break, keys only.
  const agent = await open('agent');
  await typeInto(agent, 'uid', 'anna');
  await keyTo(agent, 'login');
  await visible(agent, 'queues');
  await agent.getByTestId(`serve-${GENERAL}`).waitFor({ state: 'attached' });
  await keyTo(agent, `serve-${GENERAL}`, 'Space');
  await agent.waitForFunction(() => document.querySelector('[data-testid="my-state"]').innerText.trim() === 'idle');
  await tabTo(agent, 'reason');
  await agent.keyboard.press('ArrowDown'); // Manual (DND)
  await agent.keyboard.press('ArrowDown'); // Break
  await agent.waitForFunction(() => /Break/.test(document.querySelector('[data-testid="my-state"]').innerText));
  await boss.waitForFunction(() => /Break/.test(document.querySelector('[data-testid="agent-state-anna"]')?.innerText ?? ''));
  await audit(agent, 'agent page, logged in, on a break');
  await audit(boss, 'supervisor page with an agent on a break');
  await agent.keyboard.press('ArrowUp');
  await agent.keyboard.press('ArrowUp'); // Available
  await agent.waitForFunction(() => document.querySelector('[data-testid="my-state"]').innerText.trim() === 'idle');

  // The customer joins with the keyboard; the agent accepts the offer and calls.
  const carl = await open('customer');
  await typeInto(carl, 'uid', 'carl');
  await keyTo(carl, 'login');
  await carl.getByTestId(`join-${GENERAL}`).waitFor({ state: 'visible' });
  await audit(carl, 'customer page, logged in');
  await keyTo(carl, `join-${GENERAL}`);
  await visible(agent, 'offer');
  await audit(agent, 'agent page with an offer');
  await audit(carl, 'customer page, waiting');
  await keyTo(agent, 'accept-offer');
  await agent.waitForFunction(() => document.querySelector('[data-testid="current-user"]').innerText.trim() === 'carl');
  // The board counts it (pushed with the agent's state).
  await boss.waitForFunction(() => document.querySelector('[data-testid="served-today-anna"]')?.innerText.trim() === '1');
  await keyTo(agent, 'call');
  await visible(carl, 'ringing');
  await audit(carl, 'customer page, ringing');
  await keyTo(carl, 'accept-call');
  await visible(carl, 'conversation');
  await visible(agent, 'media');
  await audit(agent, 'agent page during a call');
  await audit(carl, 'customer page during a call');
  await audit(boss, 'supervisor page during a call');
  // However many events arrived by now, a log long enough to scroll is reached from the
  // keyboard (how long it is at the audit above depends on timing: pin it).
  for (const [page, name] of [[agent, 'agent'], [carl, 'customer'], [boss, 'supervisor']]) {
    await page.evaluate(() => { for (const e of document.querySelectorAll('.events')) e.style.maxHeight = '1.5em'; });
    await audit(page, `${name} page with a scrolling event log`);
    await page.evaluate(() => { for (const e of document.querySelectorAll('.events')) e.style.maxHeight = ''; });
  }

  // Hang up, keys only: the call's end ends the service.
  await keyTo(agent, 'hang-up');
  await visible(carl, 'call-ended');
  await agent.getByTestId('current').waitFor({ state: 'hidden' });
  await audit(agent, 'agent page after the call');
  await audit(carl, 'customer page after the call');
});
