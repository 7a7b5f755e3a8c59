// Screen sharing, CloudRoom's way: two pages written from CloudRoom's call guide and its
// screen-share guide (shareguide.js) in Chromium, whose fake display capture is a
// 1280×720 screen (the fake camera is 640×480). The agent shares first, then calls the
// customer: the customer enters a room where a share runs, is told of it and decodes
// the shared frames in its screen-share object; the sharer is told too. A second sharer
// gets 700; the stop is told to both, the shared frames stop and the capture is
// released; the customer then shares the other way on the same connection. The app
// records its calls: each share is a recording of its own (one VP8 track, kind screen).
// Then the modern API: startScreenShare / attachScreen / stopScreenShare and its events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fixtureServer, demoApps, FAKE_MEDIA, DEMO_KEY, demoApi, logged } from './harness.mjs';

const until = (page, what, pred) => logged(page, what, pred, 20000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The decoded size and frames of each inbound video track of a CRVideo page. */
async function videos(page) {
  return page.evaluate(async () => {
    const report = await CRVideo_GetMediaStats();
    const out = [];
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') out.push({ width: s.frameWidth || 0, frames: s.framesDecoded || 0 });
    });
    return out;
  });
}

/** Frames decoded of the inbound 1280-wide track (the screen), 0 without one. */
async function screenFrames(page) {
  return (await videos(page)).filter((v) => v.width === 1280).reduce((n, v) => n + v.frames, 0);
}

/** Waits until `page` decodes the shared screen: frames of a 1280×720 track growing, and
 * its screen-share object's <video> showing 1280×720. */
async function decodesScreen(page, who) {
  const end = Date.now() + 20000;
  let first = 0;
  for (;;) {
    const n = await screenFrames(page);
    const shown = await page.evaluate(() => {
      const v = document.querySelector('#share video');
      return v ? `${v.videoWidth}x${v.videoHeight}` : 'none';
    });
    if (first === 0 && n > 0) first = n;
    if (first > 0 && n > first + 5 && shown === '1280x720') return;
    if (Date.now() > end) throw new Error(`${who} does not decode the shared screen: ${JSON.stringify(await videos(page))}, object shows ${shown}`);
    await sleep(300);
  }
}

/** How many of the page's captured display tracks are still live. */
const liveScreens = (page) => page.evaluate(() => window.__screens.filter((t) => t.readyState === 'live').length);

test('a screen shared the CloudRoom way reaches the room, one sharer at a time, and is recorded', async () => {
  const { server, browser, dataDir, close } = await fixtureServer('lineup-share-', FAKE_MEDIA);
  const errors = [];
  try {
    await demoApi(server.base, 'PUT', '/api/v1/apps/demo/settings', { recordCalls: true });
    const open = async (role, uid, extra = '') => {
      const context = await browser.newContext();
      // Every display track the page captures, to see that a stop releases it.
      await context.addInitScript(() => {
        const md = navigator.mediaDevices;
        const gdm = md.getDisplayMedia.bind(md);
        window.__screens = [];
        md.getDisplayMedia = async (c) => { const st = await gdm(c); window.__screens.push(...st.getTracks()); return st; };
      });
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`${role}: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !(m.location().url || '').endsWith('/favicon.ico')) errors.push(`${role} console: ${m.text()}`);
      });
      await page.goto(`${server.base}/shareguide.html?role=${role}&uid=${uid}&key=${DEMO_KEY}${extra}`);
      return page;
    };
    const customer = await open('customer', 'share-cust');
    await until(customer, 'LoginSuccess', (e) => e[0] === 'LoginSuccess');
    const agent = await open('agent', 'share-agent', '&callee=share-cust&share=first');
    // The agent shares before the customer is even called: told to itself.
    await until(agent, 'StartScreenShareRslt 0', (e) => e[0] === 'StartScreenShareRslt' && e[1] === 0);
    await until(agent, 'its own share told', (e) => e[0] === 'NotifyScreenShareStarted' && e[1] === 'share-agent');
    assert.deepEqual(await agent.evaluate(() => CRVideo_GetScreenShareCfg()), { maxFPS: 8, maxKbps: 800 });
    // The customer enters the room while the share runs: told, and it sees the screen.
    await until(customer, 'NotifyCallIn', (e) => e[0] === 'NotifyCallIn');
    await until(customer, 'the running share told', (e) => e[0] === 'NotifyScreenShareStarted' && e[1] === 'share-agent');
    await decodesScreen(customer, 'the customer');
    // Its camera still arrives beside the screen (a narrower track decoding).
    for (let i = 0; ; i++) {
      const all = await videos(customer);
      if (all.filter((v) => v.width > 0 && v.width < 1280 && v.frames > 0).length === 1) break;
      assert.ok(i < 60, `the agent's camera beside its screen: ${JSON.stringify(all)}`);
      await sleep(250);
    }
    // The nickname label is text, as the page set it.
    assert.equal(await customer.evaluate(() => document.querySelector('#share span').textContent), 'agent的屏幕');
    // A nickname is text, never markup.
    const label = await customer.evaluate(() => {
      shareUI.setNickNameContent('<img src=x onerror="window.__pwned=1">Eve');
      const span = document.querySelector('#share span');
      return { text: span.textContent, elements: span.children.length, pwned: !!window.__pwned };
    });
    assert.deepEqual(label, { text: '<img src=x onerror="window.__pwned=1">Eve', elements: 0, pwned: false });
    // One sharer per room: the customer's share is refused with 700, its capture released.
    await customer.evaluate(() => window.share());
    await until(customer, 'StartScreenShareRslt 700', (e) => e[0] === 'StartScreenShareRslt' && e[1] === 700);
    assert.equal(await customer.evaluate(() => CRVideo_SCREENSHARE_EXIST), 700);
    // A bad configuration names its field.
    assert.equal(await agent.evaluate(() => CRVideo_SetScreenShareCfg({ maxFPS: 'x' })), 5);
    // The agent stops: both are told, the frames stop, the capture is released.
    await agent.evaluate(() => window.stopShare());
    await until(agent, 'StopScreenShareRslt 0', (e) => e[0] === 'StopScreenShareRslt' && e[1] === 0);
    for (const [who, page] of [['agent', agent], ['customer', customer]]) {
      await until(page, `${who} told of the stop`, (e) => e[0] === 'NotifyScreenShareStopped' && e[1] === 'share-agent');
    }
    assert.equal(await liveScreens(agent), 0, 'StopScreenShare released the capture');
    await sleep(1500);
    const stopped = await screenFrames(customer);
    await sleep(2000);
    assert.ok((await screenFrames(customer)) <= stopped, 'no shared frames after the stop');
    assert.equal(await customer.evaluate(() => document.querySelectorAll('#share video').length), 0, 'the object was destroyed');
    // The other way: the customer shares now, on the connection it has.
    await customer.evaluate(() => window.share());
    await until(customer, 'the customer shares', (e) => e[0] === 'StartScreenShareRslt' && e[1] === 0 && customer);
    await until(agent, 'the agent told', (e) => e[0] === 'NotifyScreenShareStarted' && e[1] === 'share-cust');
    await decodesScreen(agent, 'the agent');
    await sleep(1500);
    await customer.evaluate(() => window.stopShare());
    await until(agent, 'the customer\'s stop', (e) => e[0] === 'NotifyScreenShareStopped' && e[1] === 'share-cust');
    // The call ends: its recording and one per share, with the call's sessionid.
    const callID = await agent.evaluate(() => window.__callID);
    await customer.evaluate(() => CRVideo_HungupCall(window.__callID, '', 'bye'));
    let recs = [];
    for (let i = 0; i < 50 && recs.length < 3; i++) {
      await sleep(200);
      recs = (await demoApi(server.base, 'GET', '/api/v1/apps/demo/recordings')).recordings;
    }
    assert.equal(recs.length, 3, `the call and its two shares: ${JSON.stringify(recs)}`);
    assert.ok(recs.every((r) => r.sessionId === callID), 'all with the call\'s sessionid');
    const shares = recs.filter((r) => r.tracks.length === 1 && r.tracks[0].kind === 'screen');
    assert.deepEqual(shares.map((r) => r.tracks[0].usrID).sort(), ['share-agent', 'share-cust']);
    const file = await fetch(server.base + shares[0].url, { headers: { Authorization: `Bearer ${DEMO_KEY}` } });
    const webm = join(dataDir, 'share.webm');
    writeFileSync(webm, Buffer.from(await file.arrayBuffer()));
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', webm]).toString());
    assert.deepEqual(probe.streams.map((s) => `${s.codec_name} ${s.width}x${s.height}`), ['vp8 1280x720']);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('the demo agent shares its screen with a button (modern API), the customer page shows it', async () => {
  const world = await demoApps('lineup-share-apps-', FAKE_MEDIA);
  try {
    const person = async (pageName, uid) => {
      const page = await (await world.browser.newContext()).newPage();
      page.on('pageerror', (e) => { throw new Error(`${uid}: ${e}`); });
      await page.goto(`${world.base}/${pageName}.html?autologin=0`);
      await page.getByTestId('uid').fill(uid);
      await page.getByTestId('login').click();
      return page;
    };
    const visible = (page, id) => page.getByTestId(id).waitFor({ state: 'visible', timeout: 15000 });
    const GENERAL = 3;
    const customer = await person('customer', 'sally');
    await customer.getByTestId(`join-${GENERAL}`).click();
    const agent = await person('agent', 'sam');
    await agent.getByTestId(`serve-${GENERAL}`).check();
    await visible(agent, 'offer');
    await agent.getByTestId('accept-offer').click();
    await agent.getByTestId('call').click();
    await visible(customer, 'accept-call');
    await customer.getByTestId('accept-call').click();
    await visible(agent, 'media');
    await visible(customer, 'media');
    // The agent's button shares its screen: its own box says so; the customer's page
    // shows the screen (a CRVideo screen-share object decoding 1280×720) and who shares.
    await agent.waitForFunction(() => document.querySelector('[data-testid="share"]').innerText === 'Share screen');
    await agent.getByTestId('share').click();
    await agent.waitForFunction(() => document.querySelector('[data-testid="share"]').innerText === 'Stop sharing', null, { timeout: 15000 });
    await visible(agent, 'screen');
    assert.equal(await agent.getByTestId('screen-note').innerText(), 'You are sharing your screen');
    await visible(customer, 'screen');
    assert.equal(await customer.getByTestId('screen-note').innerText(), 'sam is sharing the screen');
    await customer.waitForFunction(() => {
      const v = document.querySelector('[data-testid="screen"] video');
      return v && v.videoWidth === 1280 && v.videoHeight === 720 && v.currentTime > 0;
    }, null, { timeout: 20000 });
    // Stopped with the same button: the customer's screen goes away.
    await agent.getByTestId('share').click();
    await customer.getByTestId('screen').waitFor({ state: 'hidden', timeout: 15000 });
    await agent.getByTestId('screen').waitFor({ state: 'hidden', timeout: 15000 });
    assert.equal(await agent.getByTestId('share').innerText(), 'Share screen');
  } finally {
    await world.close();
  }
});
