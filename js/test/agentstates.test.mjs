// Agent states with reasons in the demo apps (Chromium, a real lineup-server): an agent
// takes a break with a reason from the agent page and the supervisor board shows it,
// pushed (AgentStatusChanged), not polled; an agent who misses offers is paused
// (no answer) and both pages say so; labels are shown as text; the board's queue table
// is the pushed wallboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { demoApps } from './harness.mjs';

const GENERAL = 3;
let world, base, browser;

async function person(pageName, uid, noPolling = false) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  // A board that never polls: what it shows of the agents came pushed.
  if (noPolling) await page.addInitScript(() => { window.setInterval = () => 0; });
  page.on('pageerror', (e) => { throw new Error(`${uid}: ${e}`); });
  await page.goto(`${base}/${pageName}.html?autologin=0`);
  await page.getByTestId('uid').fill(uid);
  await page.getByTestId('login').click();
  return page;
}

async function waitText(page, id, want, timeout = 8000) {
  await page.waitForFunction(([id, want]) => {
    const el = document.querySelector(`[data-testid="${id}"]`);
    return el && el.innerText.trim() === want;
  }, [id, want], { timeout });
}

before(async () => {
  world = await demoApps('lineup-states-');
  ({ base, browser } = world);
  // Markup in a label stays text on every page.
  const r = await world.api('PUT', '/api/v1/apps/demo/reasons', { reasons: [{ DNDType: 2, label: 'Break' }, { DNDType: 3, label: 'Lunch & "tea"' }] });
  assert.equal(r.reasons.length, 2, JSON.stringify(r));
  await world.api('PUT', '/api/v1/apps/demo/settings', { offerTimeoutSeconds: 1, reofferDelaySeconds: 0, maxMissedOffers: 2 });
});

after(async () => { await world?.close(); });

test('a break chosen on the agent page is pushed to the supervisor board; missed offers pause the agent', async () => {
  const boss = await person('supervisor', 'boss', true);
  await boss.getByTestId('agents').waitFor({ state: 'attached' });
  const agent = await person('agent', 'anna');
  await agent.getByTestId(`serve-${GENERAL}`).check();
  await waitText(agent, 'my-state', 'idle');
  await waitText(boss, 'agent-state-anna', 'idle');

  // The reasons of the app, as text.
  const options = await agent.getByTestId('reason').evaluate((s) => [...s.options].map((o) => [o.value, o.textContent]));
  assert.deepEqual(options, [['0', 'Available'], ['1', 'Manual (DND)'], ['2', 'Break'], ['3', 'Lunch & "tea"']]);
  await agent.getByTestId('reason').selectOption('3');
  await waitText(agent, 'my-state', 'Not ready: Lunch & "tea"');
  await waitText(boss, 'agent-state-anna', 'Not ready: Lunch & "tea"');
  assert.equal(await boss.getByTestId('agent-state-anna').evaluate((e) => e.children.length), 0, 'the label is text');
  await agent.getByTestId('reason').selectOption('0');
  await waitText(boss, 'agent-state-anna', 'idle');

  // A customer is offered twice and the agent answers neither: paused, told why.
  const carl = await person('customer', 'carl');
  await carl.getByTestId(`join-${GENERAL}`).click();
  // The board's queue table comes from the pushed wallboard (it never polls).
  await waitText(boss, `waiting-${GENERAL}`, '1');
  await agent.getByTestId('paused-note').waitFor({ state: 'visible', timeout: 15000 });
  assert.match(await agent.getByTestId('paused-note').innerText(), /2 offers in a row were not answered/);
  await waitText(agent, 'my-state', 'Not ready: No answer');
  await waitText(boss, 'agent-state-anna', 'Not ready: No answer');
  assert.equal(await agent.getByTestId('reason').inputValue(), '1000');
  // Available again: offered again.
  await agent.getByTestId('reason').selectOption('0');
  await agent.getByTestId('offer').waitFor({ state: 'visible', timeout: 8000 });
  assert.equal(await agent.getByTestId('paused-note').isVisible(), false);
});

test('a waiting customer sees an estimated wait once the queue has served someone', async () => {
  const TECH = 2;
  // Offers are answered here: no pause.
  await world.api('PUT', '/api/v1/apps/demo/settings', { offerTimeoutSeconds: 30, maxMissedOffers: 0 });
  const agent = await person('agent', 'bob');
  await agent.getByTestId(`serve-${TECH}`).check();
  const first = await person('customer', 'dora');
  await first.getByTestId(`join-${TECH}`).click();
  await first.getByTestId('ewt').waitFor({ state: 'visible' });
  assert.equal(await first.getByTestId('ewt').innerText(), '–', 'nothing served yet: not known');
  await agent.getByTestId('offer').waitFor({ state: 'visible' });
  await agent.getByTestId('accept-offer').click();
  await new Promise((r) => setTimeout(r, 1500));
  await agent.getByTestId('finish').click();
  // The agent takes the next customer; the one after waits and is told an estimate.
  const second = await person('customer', 'emil');
  await second.getByTestId(`join-${TECH}`).click();
  await agent.getByTestId('offer').waitFor({ state: 'visible' });
  await agent.getByTestId('accept-offer').click();
  const third = await person('customer', 'fred');
  await third.getByTestId(`join-${TECH}`).click();
  // Told an estimate (counted down; "any moment" once it ran out), not "–".
  await third.waitForFunction(() => /^(\d+:\d\d|any moment)$/.test(document.querySelector('[data-testid="ewt"]').innerText.trim()), null, { timeout: 8000 });
});
