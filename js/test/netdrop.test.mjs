// A customer's network drops during a call, for real: the customer's Chromium runs in a
// network namespace of its own, joined to the server's host by a veth pair, and the
// link goes down for 8 s. Its WebSocket and its media both stop. When the link comes
// back, the SDK resumes the session and replaces the failed media connection (a new
// one, ICE and DTLS from scratch): both pages decode each other's video again and the
// customer's microphone passes AOPENING → AOPEN once more. Then the network drops again
// and the agent ends the room meanwhile: back online, the customer is told
// MeetingStopped and its media stops for good. Nothing may hang: every wait is bounded.
// Needs root (ip netns), as `cargo xtask test` runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logged, inbound, grows } from './harness.mjs';
import { customerNetns, withCall, run } from './netns.mjs';

const net = customerNetns({ ns: 'lineup-cust', hostIf: 'lnup-host', nsIf: 'lnup-cust', hostIp: '10.213.77.1', nsIp: '10.213.77.2' });
const HOST_IF = net.hostIf;
const ip = (...args) => run('ip', ...args);

const until = (page, what, pred, ms = 15000) => logged(page, what, pred, ms);

/** Waits until the page decodes more than `n` video frames (bounded). */
async function decodes(page, n, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const s = await inbound(page);
    if (s.framesDecoded > n || Date.now() > end) return s.framesDecoded;
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('a customer whose network drops during a call gets its audio and video back', async () => {
  await withCall('lineup-netdrop-', net, { agent: 'drop-agent', customer: 'drop-cust' }, () => [], async ({ agent, customer, errors, meetID }) => {
    for (const [who, page] of [['agent', agent], ['customer', customer]]) {
      assert.ok(await decodes(page, 30, 15000) > 30, `before the drop the ${who} decodes video`);
    }
    const opened = async () => (await customer.evaluate(() => window.__log))
      .filter((e) => e[0] === 'AudioStatusChanged' && e[1] === 'drop-cust' && e[3] === CRVIDEO_AOPEN).length;
    const openedBefore = await opened();

    // The customer's network drops for 20 s: long enough for both ends to give up on the
    // old connection.
    ip('link', 'set', HOST_IF, 'down');
    await new Promise((r) => setTimeout(r, 20000));
    assert.equal(await grows(agent, 'framesDecoded', 1500), 0, 'while the network is down the agent gets no video from the customer');
    ip('link', 'set', HOST_IF, 'up');

    // The media comes back on both sides, on a new connection.
    const reopenBy = Date.now() + 40000;
    while (await opened() === openedBefore && Date.now() < reopenBy) await new Promise((r) => setTimeout(r, 300));
    assert.ok(await opened() > openedBefore, 'the customer\'s microphone passed AOPENING → AOPEN again');
    for (const [who, page] of [['agent', agent], ['customer', customer]]) {
      assert.ok(await grows(page, 'framesDecoded', 20000) > 0, `after the drop the ${who} decodes video again`);
      assert.ok(await grows(page, 'audioBytes', 10000) > 0, `after the drop the ${who}'s inbound audio grows again`);
    }
    const dropped = (await customer.evaluate(() => window.__log)).some((e) => e[0] === 'MeetingDropped');
    assert.equal(dropped, false, 'the media was replaced, not given up');

    // The network drops again, and this time the call ends meanwhile: the agent ends the
    // room. Back online, the customer is told MeetingStopped, its media stops, and it
    // does not try to get it back.
    ip('link', 'set', HOST_IF, 'down');
    await new Promise((r) => setTimeout(r, 4000));
    await agent.evaluate((id) => CRVideo_DestroyMeeting(id, 'end'), meetID);
    await new Promise((r) => setTimeout(r, 6000));
    ip('link', 'set', HOST_IF, 'up');
    await until(customer, 'MeetingStopped', (e) => e[0] === 'MeetingStopped', 40000);
    await new Promise((r) => setTimeout(r, 4000));
    assert.notEqual(await customer.evaluate(() => CRVideo_GetAudioStatus('drop-cust')), CRVIDEO_AOPEN, 'the microphone is no longer sent');
    // No media flows into the ended room: its media connection is closed and gone, so
    // there are no figures to read (any other answer, or error, fails here).
    const stats = await customer.evaluate(() => CRVideo_GetMediaStats().then(
      (report) => `figures of an open media connection (${report.size} entries)`,
      (e) => `sdkErr ${e.sdkErr}: ${e.message}`,
    ));
    assert.equal(stats, `sdkErr ${CRVIDEO_MEDIA_ERR}: no media connection`, 'no media flows into the ended room');
    const attemptsBefore = await opened();
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal(await opened(), attemptsBefore, 'no more attempts to get the media back');
    assert.deepEqual(errors, [], 'no page error');
  });
});

const CRVIDEO_AOPEN = 3;
const CRVIDEO_MEDIA_ERR = 35;
const CRVIDEO_AOPENING = 4;
