// Routing beyond first come, first served in the demo apps (Chromium, a real
// lineup-server): a queue set over REST to overflow moves a waiting customer to another
// queue after its time (the customer's page shows the new queue and an agent of that
// queue is offered the customer); a customer who asks to be called back keeps its place
// after closing its page and is offered with its number.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { demoApps } from './harness.mjs';

const TECH = 2;
const GENERAL = 3;
let world, base, browser;

async function person(pageName, uid) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { throw new Error(`${uid}: ${e}`); });
  await page.goto(`${base}/${pageName}.html?autologin=0`);
  await page.getByTestId('uid').fill(uid);
  await page.getByTestId('login').click();
  return page;
}

const text = (page, id) => page.getByTestId(id).innerText();

before(async () => {
  world = await demoApps('lineup-routing-');
  ({ base, browser } = world);
});

after(async () => { await world?.close(); });

test('a customer overflows to another queue after its time: its page shows the new queue, an agent there gets it', async () => {
  const q = await world.api('PUT', `/api/v1/apps/demo/queues/${TECH}`, { OverflowSeconds: 2, OverflowQueueID: GENERAL });
  assert.deepEqual([q.OverflowSeconds, q.OverflowQueueID], [2, GENERAL]);
  const queues = await world.api('GET', '/api/v1/apps/demo/queues');
  const name = (id) => queues.queueList.find((x) => x.QueueID === id).QueueName;

  const agent = await person('agent', 'gina');
  await agent.getByTestId(`serve-${GENERAL}`).check();
  const carl = await person('customer', 'carl');
  await carl.getByTestId(`join-${TECH}`).click();
  await carl.waitForFunction((want) => document.querySelector('[data-testid="wait-queue"]').innerText.trim() === want, name(TECH));
  // Nobody serves Technical support: after 2 s the customer is in General enquiries.
  await carl.waitForFunction((want) => document.querySelector('[data-testid="wait-queue"]').innerText.trim() === want, name(GENERAL), { timeout: 8000 });
  await agent.getByTestId('offer').waitFor({ state: 'visible', timeout: 8000 });
  assert.equal((await text(agent, 'offer-user')).trim(), 'carl');
});

test('a customer asks to be called back and closes its page: the agent is offered it later with the number', async () => {
  // No overflow now (the first test set one).
  await world.api('PUT', `/api/v1/apps/demo/queues/${TECH}`, { OverflowQueueID: 0 });
  const carl = await person('customer', 'cora');
  await carl.getByTestId(`join-${TECH}`).click();
  await carl.getByTestId('waiting').waitFor({ state: 'visible' });
  await carl.getByTestId('callback-number').fill('+86 138 0000 0000');
  await carl.getByTestId('callback').click();
  await carl.getByTestId('callback-note').waitFor({ state: 'visible' });
  assert.match(await text(carl, 'callback-note'), /\+86 138 0000 0000/);
  await carl.context().close(); // the page is gone for good
  const agent = await person('agent', 'tom');
  await agent.getByTestId(`serve-${TECH}`).check();
  await agent.getByTestId('offer').waitFor({ state: 'visible', timeout: 8000 });
  assert.equal((await text(agent, 'offer-user')).trim(), 'cora');
  assert.match(await text(agent, 'offer-callback'), /\+86 138 0000 0000/);
});
