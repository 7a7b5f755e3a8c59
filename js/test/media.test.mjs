// The call carries audio and video: two pages written from CloudRoom's call guide
// (mediaguide.js) in Chromium with fake devices, through lineup-server's media server.
// On each page the peer connection's statistics show the other's video decoded and its
// audio arriving; CloseMic on one side stops the other's inbound audio, OpenMic starts
// it again; the statuses pass AOPENING → AOPEN. The agent calls the customer (the call
// guide's CRVideo_Call / AcceptCall) on an app that records calls: a supervisor listens
// in (monitorCall) hearing both and sending nothing; levels, cameras, SetVideoCfg and
// in-meeting text work; after the hang-up, ffprobe reads the server's recording as two
// Opus and two VP8 tracks of the call's length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fixtureServer, FAKE_MEDIA, DEMO_KEY, demoApi, logged, inbound, grows } from './harness.mjs';

const until = (page, what, pred) => logged(page, what, pred, 15000);

test('agent and customer see and hear each other through the media server', async () => {
  const { server, browser, dataDir, close } = await fixtureServer('lineup-media-', FAKE_MEDIA);
  const errors = [];
  // The pages' warnings (a failed negotiation, a replaced connection), shown in a failure.
  const warned = [];
  try {
    const open = async (role, uid, extra = '') => {
      const context = await browser.newContext();
      // Every track the page captures, to see that closing releases the device.
      await context.addInitScript(() => {
        const md = navigator.mediaDevices;
        const gum = md.getUserMedia.bind(md);
        window.__captured = [];
        md.getUserMedia = async (c) => { const st = await gum(c); window.__captured.push(...st.getTracks()); return st; };
      });
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`${role}: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !(m.location().url || '').endsWith('/favicon.ico')) errors.push(`${role} console: ${m.text()}`);
        if (m.type() === 'warning') warned.push(`${role}: ${m.text()}`);
      });
      await page.goto(`${server.base}/mediaguide.html?role=${role}&uid=${uid}&key=${DEMO_KEY}${extra}`);
      return page;
    };
    // The app records its calls.
    await demoApi(server.base, 'PUT', '/api/v1/apps/demo/settings', { recordCalls: true });
    // A UID with characters no stream id may hold: its tracks still find its member.
    const custUID = 'cust 客户 <b>"x"&';
    const customer = await open('customer', encodeURIComponent(custUID));
    await until(customer, 'LoginSuccess', (e) => e[0] === 'LoginSuccess');
    // The agent calls the customer into its room (CloudRoom's call guide).
    const agent = await open('agent', 'media-agent', `&callee=${encodeURIComponent(custUID)}`);
    await until(customer, 'NotifyCallIn', (e) => e[0] === 'NotifyCallIn' && e[2] === 'media-agent');
    for (const [page, uid] of [[agent, 'media-agent'], [customer, custUID]]) {
      await until(page, 'EnterMeetingRslt', (e) => e[0] === 'EnterMeetingRslt' && e[1] === 0);
      await until(page, 'its microphone opening', (e) => e[0] === 'AudioStatusChanged' && e[1] === uid && e[3] === CRVIDEO_AOPENING);
      await until(page, 'its microphone open', (e) => e[0] === 'AudioStatusChanged' && e[1] === uid && e[2] === CRVIDEO_AOPENING && e[3] === CRVIDEO_AOPEN);
      await until(page, 'its camera open', (e) => e[0] === 'VideoStatusChanged' && e[1] === uid && e[3] === CRVIDEO_AOPEN);
    }
    // How long the first OpenMic took on each page (EnterMeetingRslt → its own AOPEN).
    const micMs = await Promise.all([agent, customer].map((p) => p.evaluate(() => window.__micOpenMs)));
    console.log(`first OpenMic after entering the room: agent ${micMs[0].toFixed(0)} ms, customer ${micMs[1].toFixed(0)} ms`);
    // Each page decodes the other's video and receives its audio.
    for (const [who, page] of [['agent', agent], ['customer', customer]]) {
      const end = Date.now() + 15000;
      let stats;
      for (;;) {
        stats = await inbound(page);
        if (stats.framesDecoded > 30 || Date.now() > end) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.ok(stats.framesDecoded > 30, `the ${who} decoded ${stats.framesDecoded} video frames`);
      assert.ok(await grows(page, 'audioBytes') > 0, `the ${who}'s inbound audio grows`);
    }
    // The agent's video object for the customer (made at UserEnterMeeting) shows its camera.
    for (const [page, other] of [[agent, custUID]]) {
      const shown = await page.evaluate(async (uid) => {
        for (let i = 0; i < 100; i++) {
          const v = document.getElementById('video-' + uid);
          if (v && v.srcObject && v.srcObject.getVideoTracks().length > 0 && v.videoWidth > 0) return true;
          await new Promise((r) => setTimeout(r, 100));
        }
        return false;
      }, other);
      assert.ok(shown, `the video object for ${other} shows its camera`);
    }
    await until(customer, 'the agent\'s microphone open', (e) => e[0] === 'AudioStatusChanged' && e[1] === 'media-agent' && e[3] === CRVIDEO_AOPEN);
    // A supervisor listens in (modern API, monitorCall): it receives both parties' audio
    // and sends none; the parties' pages get nothing from it.
    const meetID = await agent.evaluate(() => window.__log.find((e) => e[0] === 'CreateMeetingSuccess')[1]);
    const sup = await (await browser.newContext()).newPage();
    sup.on('pageerror', (e) => errors.push(`supervisor: ${e.message}`));
    await sup.goto(`${server.base}/monitor.html?uid=media-sup&key=${DEMO_KEY}&meet=${meetID}`);
    assert.equal(await sup.evaluate(() => window.__monitoring), true);
    const supStats = () => sup.evaluate(async () => {
      const out = { audioIn: [], sent: 0 };
      (await window.client.getMediaStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audioIn.push(s.bytesReceived || 0);
        if (s.type === 'outbound-rtp') out.sent += s.bytesSent || 0;
      });
      return out;
    });
    let first = await supStats();
    for (let i = 0; i < 50 && first.audioIn.filter((b) => b > 0).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 200));
      first = await supStats();
    }
    await new Promise((r) => setTimeout(r, 1000));
    const later = await supStats();
    assert.equal(later.audioIn.length, 2, `the supervisor receives two audio streams: ${JSON.stringify(later)}`);
    assert.ok(later.audioIn.every((b, i) => b > (first.audioIn[i] || 0)), `both parties' audio arrives: ${JSON.stringify([first, later])}`);
    assert.equal(later.sent, 0, 'the supervisor sends nothing');
    // The inbound audio streams of a page, with what tells them apart (in a failure).
    const streamsAt = (page) => page.evaluate(async () => {
      const out = [];
      (await CRVideo_GetMediaStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') out.push({ ssrc: s.ssrc, mid: s.mid, track: s.trackIdentifier, bytes: s.bytesReceived });
      });
      return out;
    });
    const heard = await streamsAt(customer);
    assert.equal(heard.length, 1, `the customer hears the agent only: ${JSON.stringify({ heard, warned })}`);
    const heardByAgent = await streamsAt(agent);
    assert.equal(heardByAgent.length, 1, `the agent hears the customer only: ${JSON.stringify({ heardByAgent, warned })}`);
    await sup.evaluate(() => window.client.leaveMedia());
    // CloseMic on the agent's side: the customer's inbound audio stops; OpenMic: it starts again.
    await agent.evaluate(() => CRVideo_CloseMic('media-agent'));
    await until(customer, 'the agent\'s microphone closed', (e) => e[0] === 'AudioStatusChanged' && e[1] === 'media-agent' && e[3] === CRVIDEO_ACLOSE);
    assert.equal(await live(agent, 'audio'), 0, 'CloseMic released the microphone: every captured audio track ended');
    assert.ok(await live(agent, 'video') > 0, 'the camera is still on');
    await new Promise((r) => setTimeout(r, 1000));
    const quiet = (await inbound(customer)).audioBytes;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await inbound(customer)).audioBytes, quiet, 'no audio arrives while the agent\'s microphone is closed');
    await agent.evaluate(() => CRVideo_OpenMic('media-agent'));
    assert.ok(await grows(customer, 'audioBytes') > 0, 'the agent\'s audio arrives again after OpenMic');
    assert.equal(await agent.evaluate(() => CRVideo_GetAudioStatus('media-agent')), 3, 'AOPEN');
    // Levels: MicEnergyUpdate (0–10) for its own microphone and the other's (Chromium's
    // fake microphone beeps), and GetMicEnergy.
    for (const uid of ['media-agent', custUID]) {
      const e = await until(agent, `${uid}'s energy`, (e) => e[0] === 'MicEnergyUpdate' && e[1] === uid && e[3] > 0);
      assert.ok(e[3] >= 1 && e[3] <= 10, `a level from 0 to 10: ${e}`);
    }
    const level = await agent.evaluate((uid) => CRVideo_GetMicEnergy(uid), custUID);
    assert.ok(Number.isInteger(level) && level >= 0 && level <= 10, `GetMicEnergy: ${level}`);
    // Cameras: GetAllVideoInfo lists this browser's fake camera; the customer's is known.
    const cams = await agent.evaluate(() => CRVideo_GetAllVideoInfo('media-agent'));
    assert.ok(cams.length >= 1 && cams[0].userId === 'media-agent' && cams[0].videoID === 1 && typeof cams[0].videoName === 'string', JSON.stringify(cams));
    assert.equal(await agent.evaluate(() => CRVideo_GetDefaultVideo('media-agent')), 1);
    assert.deepEqual(await agent.evaluate((uid) => CRVideo_GetAllVideoInfo(uid), custUID), [{ userId: custUID, videoName: '', videoID: 1 }]);
    // SetVideoCfg: the open camera takes the new size; wrong fields are refused by name.
    assert.equal(await agent.evaluate(() => CRVideo_SetVideoCfg({ size: { width: 320, height: 240 }, fps: 15, maxbps: 300000 })), 0);
    const size = await agent.evaluate(async () => {
      for (let i = 0; i < 50; i++) {
        const t = document.getElementById('video-media-agent').srcObject.getVideoTracks()[0];
        const s = t.getSettings();
        if (s.width === 320) return [s.width, s.height];
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    });
    assert.deepEqual(size, [320, 240], 'the camera sends 320×240 now');
    assert.deepEqual(await agent.evaluate(() => CRVideo_GetVideoCfg()), { size: { width: 320, height: 240 }, fps: 15, maxbps: 300000 });
    const warnings = [];
    agent.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
    assert.equal(await agent.evaluate(() => CRVideo_SetVideoCfg({ fps: 0 })), 5);
    assert.equal(await agent.evaluate(() => CRVideo_SetVideoCfg({ size: '320*x' })), 5);
    assert.equal(await agent.evaluate(() => CRVideo_SetDefaultVideo('media-agent', 9)), 5);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(warnings.some((w) => w.includes('invalid fps: an integer from 1 to 60')), warnings.join('\n'));
    assert.ok(warnings.some((w) => w.includes('invalid size.height')), warnings.join('\n'));
    assert.ok(warnings.some((w) => w.includes('invalid videoID')), warnings.join('\n'));
    // In-meeting text: SendIMmsg returns a task id, answered by SendIMmsgRlst; the
    // customer gets NotifyIMmsg(fromUserID, text, sendTime).
    const taskID = await agent.evaluate(() => CRVideo_SendIMmsg('Hello 你好 <b>', '', 'im'));
    assert.match(taskID, /^t[0-9a-f]{24}$/);
    await until(agent, 'SendIMmsgRlst', (e) => e[0] === 'SendIMmsgRlst' && e[1] === taskID && e[2] === 0 && e[3] === 'im');
    const im = await until(customer, 'NotifyIMmsg', (e) => e[0] === 'NotifyIMmsg');
    assert.deepEqual(im.slice(1, 3), ['media-agent', 'Hello 你好 <b>']);
    assert.ok(Math.abs(im[3] - Date.now() / 1000) < 60, `sendTime is Unix seconds: ${im[3]}`);
    const refused = await agent.evaluate(() => CRVideo_SendIMmsg('', '', 'empty'));
    await until(agent, 'SendIMmsgRlst refused', (e) => e[0] === 'SendIMmsgRlst' && e[1] === refused && e[2] === 5);
    // The recording: the customer hangs up; the server's file holds both parties' Opus
    // and VP8 tracks for the length of the call (ffprobe reads it).
    await customer.evaluate(() => CRVideo_HungupCall(window.__callID, '', 'bye'));
    let rec;
    for (let i = 0; i < 50 && !rec; i++) {
      await new Promise((r) => setTimeout(r, 200));
      rec = (await demoApi(server.base, 'GET', '/api/v1/apps/demo/recordings')).recordings[0];
    }
    assert.ok(rec, 'the call was recorded');
    assert.equal(rec.sessionId, await agent.evaluate(() => window.__callID));
    assert.deepEqual(rec.tracks.map((t) => `${t.usrID}/${t.kind}`).sort(), [`${custUID}/audio`, `${custUID}/video`, 'media-agent/audio', 'media-agent/video'].sort());
    const file = await fetch(server.base + rec.url, { headers: { Authorization: `Bearer ${DEMO_KEY}` } });
    assert.equal(file.headers.get('content-type'), 'video/webm');
    const webm = join(dataDir, 'call.webm');
    writeFileSync(webm, Buffer.from(await file.arrayBuffer()));
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', webm]).toString());
    const codecs = probe.streams.map((st) => st.codec_name).sort();
    assert.deepEqual(codecs, ['opus', 'opus', 'vp8', 'vp8'], JSON.stringify(probe.streams));
    const seconds = Number(probe.format.duration);
    assert.ok(rec.durationMs >= 3000, `a call of ${rec.durationMs} ms`);
    assert.ok(Math.abs(seconds * 1000 - rec.durationMs) < 300, `ffprobe's ${seconds} s against the server's ${rec.durationMs} ms`);
    const video = probe.streams.find((st) => st.codec_name === 'vp8');
    assert.ok(video.width > 0 && video.height > 0, `the camera's size: ${video.width}×${video.height}`);
    // CloseVideo releases the camera; leaving the room releases every device.
    await agent.evaluate(() => CRVideo_CloseVideo('media-agent'));
    assert.equal(await live(agent, 'video'), 0, 'CloseVideo released the camera');
    for (const [who, page] of [['agent', agent], ['customer', customer]]) {
      await page.evaluate(() => CRVideo_ExitMeeting());
      let left = -1;
      for (let i = 0; i < 50 && left !== 0; i++) {
        left = (await live(page, 'audio')) + (await live(page, 'video'));
        if (left !== 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(left, 0, `the ${who} left the room with no captured track live`);
    }
    assert.deepEqual(errors, [], 'no page error');
  } finally {
    await close();
  }
});

test('an audio call carries audio only: one inbound stream each way, no probes', async () => {
  const { server, browser, close } = await fixtureServer('lineup-audio-', FAKE_MEDIA);
  const errors = [];
  try {
    const open = async (role, uid, extra = '') => {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (e) => errors.push(`${role}: ${e.message}`));
      await page.goto(`${server.base}/mediaguide.html?role=${role}&uid=${uid}&key=${DEMO_KEY}&video=0${extra}`);
      return page;
    };
    const customer = await open('customer', 'audio-cust');
    await until(customer, 'LoginSuccess', (e) => e[0] === 'LoginSuccess');
    const agent = await open('agent', 'audio-agent', '&callee=audio-cust');
    await until(customer, 'NotifyCallIn', (e) => e[0] === 'NotifyCallIn');
    for (const [page, other] of [[agent, 'audio-cust'], [customer, 'audio-agent']]) {
      await until(page, `${other}'s microphone open`, (e) => e[0] === 'AudioStatusChanged' && e[1] === other && e[3] === CRVIDEO_AOPEN);
      assert.ok(await grows(page, 'audioBytes') > 0, `${other}'s audio arrives`);
    }
    // Some seconds of the call: the media server probes a link only while it carries
    // video, so each page receives the other's audio and nothing else (a probe would
    // show as an inbound stream of SSRC 0 without a track).
    await new Promise((r) => setTimeout(r, 4000));
    for (const [who, page] of [['agent', agent], ['customer', customer]]) {
      const inboundStreams = await page.evaluate(async () => {
        const out = [];
        (await CRVideo_GetMediaStats()).forEach((s) => {
          if (s.type === 'inbound-rtp') out.push({ kind: s.kind, ssrc: s.ssrc, track: s.trackIdentifier, bytes: s.bytesReceived });
        });
        return out;
      });
      assert.equal(inboundStreams.length, 1, `the ${who} receives one stream: ${JSON.stringify(inboundStreams)}`);
      assert.ok(inboundStreams[0].kind === 'audio' && inboundStreams[0].ssrc !== 0 && inboundStreams[0].track, JSON.stringify(inboundStreams));
    }
    assert.deepEqual(errors, [], 'no page error');
  } finally {
    await close();
  }
});

/** How many tracks of `kind` the page captured are still live (the device in use). */
const live = (page, kind) => page.evaluate((k) => window.__captured.filter((t) => t.kind === k && t.readyState === 'live').length, kind);

const CRVIDEO_ACLOSE = 2;
const CRVIDEO_AOPEN = 3;
const CRVIDEO_AOPENING = 4;
