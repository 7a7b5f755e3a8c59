// A page written only from CloudRoom's call guide, in Chromium, as agent and customer:
// it sets MeetingDropped (and the other callbacks of the guides) at the top level,
// creates the room with createPswd 1, enters with the five-argument EnterMeeting and
// destroys the room; no error, and every result callback gets its own cookie back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { js, startServer, launchChromium, DEMO_KEY, logged } from './harness.mjs';

const until = logged;

test('a CloudRoom call-guide page: createPswd 1, five-argument EnterMeeting, DestroyMeeting, MeetingDropped set', async () => {
  assert.ok(existsSync(join(js, 'dist', 'lineup_sdk_bg.wasm')), 'run `cargo xtask sdk` first (cargo xtask test does)');
  const dataDir = mkdtempSync(join(tmpdir(), 'lineup-callguide-'));
  const server = await startServer(['--data', dataDir, '--www', join(js, 'test', 'fixtures'), '--sdk', join(js, 'dist')]);
  const browser = await launchChromium();
  const errors = [];
  try {
    const open = async (role, uid) => {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (e) => errors.push(`${role}: ${e.message}`));
      page.on('console', (m) => {
        // The browser asks for /favicon.ico by itself; the fixture has none.
        if (m.type() === 'error' && !(m.location().url || '').endsWith('/favicon.ico')) errors.push(`${role} console: ${m.text()} (${m.location().url})`);
      });
      await page.goto(`${server.base}/callguide.html?role=${role}&uid=${uid}&queue=2&key=${DEMO_KEY}`);
      return page;
    };
    const agent = await open('agent', 'guide-agent');
    assert.deepEqual(await until(agent, 'StartServiceRslt', (e) => e[0] === 'StartServiceRslt'), ['StartServiceRslt', 0, 'service']);
    const customer = await open('customer', 'guide-customer');
    assert.deepEqual(await until(customer, 'StartQueuingRslt', (e) => e[0] === 'StartQueuingRslt'), ['StartQueuingRslt', 0, 'queuing']);

    const created = await until(agent, 'CreateMeetingSuccess', (e) => e[0].startsWith('CreateMeeting'));
    assert.equal(created[0], 'CreateMeetingSuccess', JSON.stringify(created));
    assert.match(created[1], /^\d{6}$/, 'createPswd 1: the system made a password');
    assert.equal(created[2], 'create');
    assert.deepEqual(await until(customer, 'EnterMeetingRslt', (e) => e[0] === 'EnterMeetingRslt'), ['EnterMeetingRslt', 0, 'enter-customer']);
    assert.deepEqual(await until(agent, 'EnterMeetingRslt', (e) => e[0] === 'EnterMeetingRslt'), ['EnterMeetingRslt', 0, 'enter-agent']);
    const agentLog = await agent.evaluate(() => window.__log);
    assert.deepEqual(agentLog.find((e) => e[0] === 'LoginSuccess'), ['LoginSuccess', 'guide-agent', 'login']);
    assert.deepEqual(agentLog.find((e) => e[0] === 'ResponseAssignUserRslt'), ['ResponseAssignUserRslt', 0, 'accept']);
    assert.deepEqual(agentLog.find((e) => e[0] === 'CallSuccess'), ['CallSuccess', 'call']);
    assert.deepEqual((await customer.evaluate(() => window.__log)).find((e) => e[0] === 'AcceptCallSuccess'), ['AcceptCallSuccess', 'answer']);

    await agent.evaluate(() => window.__destroy());
    assert.deepEqual(await until(agent, 'StopMeetingRslt', (e) => e[0] === 'StopMeetingRslt'), ['StopMeetingRslt', 0, 'destroy']);
    await until(customer, 'MeetingStopped', (e) => e[0] === 'MeetingStopped');
    await until(customer, 'NotifyCallHungup', (e) => e[0] === 'NotifyCallHungup');
    assert.deepEqual(errors, [], 'no page error');
  } finally {
    await browser.close();
    server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
