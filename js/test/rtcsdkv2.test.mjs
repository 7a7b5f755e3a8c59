// CloudRoom pages of both generations in Chromium against a real lineup-server:
// - a page written in the RTCSDKV2 generation's shapes (rtcsdkv2.js: Init's promise,
//   callbacks of unimplemented features assigned at load, StartService(queID, priority,
//   cookie), QueUser.userID / .nickname, CreateMeeting2(cookie), EnterMeeting3, video
//   objects through handler(), SendIMMsg, DestroyMeetingRslt) as agent and customer,
//   from login to hang-up, with video both ways and no page error;
// - every name of js/README's table of CloudRoom names is defined once the script ran,
//   and an unimplemented one answers 806 through its own callback;
// - user status (StartUserStatusNotify → NotifyUserStatus, GetOneUserStatus,
//   GetUserStatus) as the demo's status-push button uses it; cloud recording
//   (CreateCloudMixer → CloudMixerStateChanged → DestroyCloudMixer → the file);
// - a page made of the queue guide's own snippets (QueUser.userID).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { js, fixtureServer, FAKE_MEDIA, DEMO_KEY, logged, grows } from './harness.mjs';

const until = (page, what, pred) => logged(page, what, pred, 15000);
const entry = (name) => (e) => e[0] === name;

/** The CloudRoom names of js/README's table (rows naming one global). */
function tableNames() {
  const readme = readFileSync(join(js, 'README.md'), 'utf8');
  const start = readme.indexOf('| CloudRoom name | kind | Lineup |');
  assert.ok(start >= 0, 'js/README has the table of CloudRoom names');
  return readme.slice(start).split('\n').slice(2).filter((l) => l.startsWith('|'))
    .map((l) => l.split('|')[1].trim().replace(/`/g, ''))
    .filter((n) => /^CRVideo_\w+$/.test(n));
}

test('CloudRoom pages of both generations: RTCSDKV2 shapes agent ↔ customer, every name defined, the queue guide', async () => {
  const { server, browser, close } = await fixtureServer('lineup-rtcsdkv2-', FAKE_MEDIA);
  const errors = [];
  try {
    const open = async (page_, role, uid, queue, label = role) => {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (e) => errors.push(`${label}: ${e.message}`));
      page.on('console', (m) => {
        const url = m.location().url || '';
        if (m.type() === 'error' && !url.endsWith('/favicon.ico') && !url.endsWith('/poster.png')) errors.push(`${label} console: ${m.text()} (${url})`);
      });
      await page.goto(`${server.base}/${page_}?role=${role}&uid=${uid}&queue=${queue}&key=${DEMO_KEY}`);
      return page;
    };
    const agent = await open('rtcsdkv2.html', 'agent', 'v2-agent', 2);
    assert.deepEqual(await until(agent, 'Init', entry('Init')), ['Init', 0, 'string'], 'CRVideo_Init().then(0), GetSDKVersion a string');
    assert.deepEqual(await until(agent, 'StartServiceRslt', entry('StartServiceRslt')), ['StartServiceRslt', 2, 0, 'serve']);
    // User status, as the demo's "start user status push" button asks for it.
    await agent.evaluate(() => CRVideo_StartUserStatusNotify('watch'));
    assert.deepEqual(await until(agent, 'StartUserStatusNotifyRslt', entry('StartUserStatusNotifyRslt')), ['StartUserStatusNotifyRslt', 0, 'watch']);
    // UpdateToken: nothing to renew (a session does not depend on its token), so a
    // Lineup token is accepted and anything else refused with 22.
    await agent.evaluate(() => { CRVideo_UpdateToken('lu1.payload.signature', 'renew'); CRVideo_UpdateToken('not a token', 'bad'); });
    assert.deepEqual(await until(agent, 'UpdateTokenRslt renew', (e) => e[0] === 'UpdateTokenRslt' && e[2] === 'renew'), ['UpdateTokenRslt', 0, 'renew']);
    assert.deepEqual(await until(agent, 'UpdateTokenRslt bad', (e) => e[0] === 'UpdateTokenRslt' && e[2] === 'bad'), ['UpdateTokenRslt', 22, 'bad']);

    // Every name of the table is defined; WebIE's Init comparison holds too.
    const names = tableNames();
    assert.ok(names.length > 350, `the table lists CloudRoom's names (${names.length})`);
    const missing = await agent.evaluate((ns) => ns.filter((n) => typeof window[n] === 'undefined'), names);
    assert.deepEqual(missing, [], 'every CloudRoom name of the table is defined');
    assert.equal(await agent.evaluate(() => CRVideo_Init() == 0), true, 'WebIE: CRVideo_Init() == 0');
    // An unimplemented function answers through its own callback, after returning its id.
    await agent.evaluate(() => { CRVideo_SendBufferRslt.callback = function () { window.__log.push(['SendBufferRslt'].concat(Array.from(arguments))); }; });
    const taskID = await agent.evaluate(() => CRVideo_SendBuffer('nobody', 'data', 'ck-buf'));
    assert.deepEqual(await until(agent, 'SendBufferRslt', entry('SendBufferRslt')), ['SendBufferRslt', taskID, 806, 'ck-buf']);
    assert.equal(await agent.evaluate(() => CRVideo_SEVICE_NOTENABLED), 806);

    const customer = await open('rtcsdkv2.html', 'customer', 'v2-customer', 2);
    assert.deepEqual(await until(customer, 'StartQueuingRslt', entry('StartQueuingRslt')), ['StartQueuingRslt', 0, 'queue']);
    assert.deepEqual(await until(agent, 'AutoAssignUser', entry('AutoAssignUser')), ['AutoAssignUser', 'v2-customer', 'Nick v2-customer', 'ext']);
    const told = (uid, state) => (e) => e[0] === 'NotifyUserStatus' && e[1].userID === uid && e[1].userStatus === state;
    assert.deepEqual(await until(agent, 'customer online', told('v2-customer', 1)), ['NotifyUserStatus', { userID: 'v2-customer', userStatus: 1, DNDType: 0 }, 'watch']);
    assert.deepEqual(await until(agent, 'customer served', told('v2-customer', 2)), ['NotifyUserStatus', { userID: 'v2-customer', userStatus: 2, DNDType: 0 }, 'watch']);
    assert.equal((await until(agent, 'NotifyUserEnter', entry('NotifyUserEnter')))[1], 2, 'NotifyUserEnter(queID, QueUser)');
    assert.deepEqual(await until(agent, 'ResponseAssignUserRslt', entry('ResponseAssignUserRslt')), ['ResponseAssignUserRslt', 0, 'accept']);
    assert.deepEqual(await until(agent, 'CreateMeetingSuccess', entry('CreateMeetingSuccess')), ['CreateMeetingSuccess', '', 'create'], 'CreateMeeting2(cookie)');
    assert.deepEqual(await until(agent, 'CallSuccess', entry('CallSuccess')), ['CallSuccess', true, 'call']);
    assert.deepEqual(await until(customer, 'NotifyCallIn', entry('NotifyCallIn')), ['NotifyCallIn', 'v2-agent', '{"t":"queue"}']);
    for (const page of [agent, customer]) {
      assert.deepEqual(await until(page, 'EnterMeetingRslt', entry('EnterMeetingRslt')), ['EnterMeetingRslt', 0, 'enter']);
    }
    await until(agent, 'customer in the room', told('v2-customer', 3));
    await agent.evaluate(() => CRVideo_GetOneUserStatus('v2-customer', 'one'));
    assert.deepEqual(await until(agent, 'GetUserStatusSuccess', entry('GetUserStatusSuccess')),
      ['GetUserStatusSuccess', [{ userID: 'v2-customer', userStatus: 3, DNDType: 0 }], 'one']);
    await customer.evaluate(() => CRVideo_GetUserStatus('all'));
    const [, all, ck] = await until(customer, 'GetUserStatusSuccess', entry('GetUserStatusSuccess'));
    assert.equal(ck, 'all');
    assert.deepEqual(all.filter((u) => u.userID.startsWith('v2-')), [
      { userID: 'v2-agent', userStatus: 3, DNDType: 0 }, { userID: 'v2-customer', userStatus: 3, DNDType: 0 }]);
    // Both members, by RTCSDKV2's names, on both sides.
    for (const [page, peer] of [[agent, 'v2-customer'], [customer, 'v2-agent']]) {
      const end = Date.now() + 10000;
      let members;
      while (Date.now() < end) {
        members = await page.evaluate(() => CRVideo_GetAllMembers().map((m) => [m.userID, m.nickname]).sort());
        if (members.length === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(members, [['v2-agent', 'Nick v2-agent'], ['v2-customer', 'Nick v2-customer']]);
      assert.equal(await page.evaluate((p) => CRVideo_GetMemberInfo(p).nickname, peer), `Nick ${peer}`);
      assert.equal(await page.evaluate((p) => CRVideo_IsUserInMeeting(p), peer), true);
    }
    // Video both ways, each shown in the other's video object, labelled as text.
    for (const [who, page, peer] of [['agent', agent, 'v2-customer'], ['customer', customer, 'v2-agent']]) {
      const obj = await page.evaluate(async (p) => {
        for (let i = 0; i < 150 && !(window.__videos[p] && window.__videos[p].width()); i++) await new Promise((r) => setTimeout(r, 100));
        const o = window.__videos[p];
        const h = o.handler();
        return { inPage: document.contains(h), id: typeof o.id(), width: o.width(), height: o.height(), label: h.querySelector('span').textContent,
          markup: h.querySelectorAll('b').length, pic: o.savePic().slice(0, 22), poster: h.querySelector('video').getAttribute('poster') };
      }, peer);
      assert.equal(obj.inPage, true);
      assert.equal(obj.id, 'string');
      assert.ok(obj.width > 0 && obj.height > 0, `the ${who}'s video object has the stream's size: ${JSON.stringify(obj)}`);
      assert.equal(obj.label, `Nick ${peer}`);
      assert.equal(obj.pic, 'data:image/png;base64,');
      assert.equal(obj.poster, 'poster.png');
      assert.ok(await grows(page, 'framesDecoded', 15000) > 0, `the ${who} decodes the other's video`);
    }
    // RTCSDKV2's size presets: 2 is 480 lines, ratio 2 is 4:3.
    assert.equal(await agent.evaluate(() => CRVideo_SetVideoCfg({ size: 2, ratio: 2 })), 0);
    assert.deepEqual(await agent.evaluate(() => CRVideo_GetVideoCfg().size), { width: 640, height: 480 });
    assert.equal(await agent.evaluate(() => CRVideo_SetVideoCfg({ size: 9 })), 5, 'an unknown preset is refused');
    // Microphones and speakers as CloudRoom lists and chooses them.
    const mics = await agent.evaluate(() => CRVideo_GetAudioMicNames());
    assert.ok(mics.length >= 1 && mics[0].micID === 1 && typeof mics[0].micName === 'string', JSON.stringify(mics));
    assert.ok(Array.isArray(await agent.evaluate(() => CRVideo_GetAudioSpkNames())));
    assert.equal(await agent.evaluate(() => CRVideo_SetAudioCfg({ micID: 1, speakerID: 0 })), 0);
    assert.deepEqual(await agent.evaluate(() => CRVideo_GetAudioCfg()), { micID: 1, speakerID: 0 });
    assert.equal(await agent.evaluate(() => CRVideo_SetAudioCfg({ micID: 99 })), 5, 'a microphone the browser does not have is refused');
    // Cloud recording as the demo's record button asks for it: both pages hear it run,
    // stop, and where its file is.
    const mixer = await agent.evaluate(() => CRVideo_CreateCloudMixer({ mode: 0, videoFileCfg: { svrPathName: '/d/x.mp4', vWidth: 1280, vHeight: 720, layoutConfig: [] } }));
    assert.match(mixer, /^[0-9a-f]{32}$/, 'a CloudRoom mixer id');
    for (const page of [agent, customer]) {
      const s = await until(page, 'CloudMixerStateChanged 2', (e) => e[0] === 'CloudMixerStateChanged' && e[2] === 2);
      assert.deepEqual([s[1], s[4]], [mixer, 'v2-agent']);
    }
    assert.deepEqual(await agent.evaluate(() => CRVideo_GetAllCloudMixerInfo().map((m) => [m.ID, m.owner, m.state, m.cfg.videoFileCfg.vWidth])), [[mixer, 'v2-agent', 2, 1280]]);
    assert.equal(await customer.evaluate(() => CRVideo_GetSvrMixerState()), 2);
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(await agent.evaluate((id) => CRVideo_DestroyCloudMixer(id), mixer), { errDesc: 'success', errCode: 0 });
    for (const page of [agent, customer]) {
      await until(page, 'CloudMixerStateChanged 4', (e) => e[0] === 'CloudMixerStateChanged' && e[2] === 4);
      const [, id, out] = await until(page, 'the file is available', (e) => e[0] === 'CloudMixerOutputInfoChanged' && e[2].state === 7);
      assert.equal(id, mixer);
      assert.match(out.svrFilePathName, /^\/api\/v1\/apps\/demo\/recordings\/[0-9a-f]{32}\/file$/);
      assert.ok(out.duration >= 1000 && out.fileSize > 0, JSON.stringify(out));
      await until(page, 'CloudMixerStateChanged 0', (e) => e[0] === 'CloudMixerStateChanged' && e[2] === 0);
    }
    assert.deepEqual(await agent.evaluate(() => CRVideo_GetAllCloudMixerInfo()), []);
    // An in-room message, markup kept as text.
    const sent = await agent.evaluate(() => window.__say('hello <b>there</b>'));
    assert.deepEqual(await until(agent, 'SendIMMsgRslt', entry('SendIMMsgRslt')), ['SendIMMsgRslt', sent, 0, 'say']);
    assert.deepEqual(await until(customer, 'NotifyIMMsg', entry('NotifyIMMsg')), ['NotifyIMMsg', 'v2-agent', 'hello <b>there</b>']);
    assert.equal(await customer.evaluate(() => document.querySelectorAll('#chat b').length), 0);
    // The demo's chat: SendCmd to the other member; SendMeetingCustomMsg to the room, the sender too.
    const cmd = await customer.evaluate(() => CRVideo_SendCmd(window.__call.peer, '{"CmdType":"IM"}', 'cmd'));
    assert.deepEqual(await until(customer, 'SendCmdRslt', entry('SendCmdRslt')), ['SendCmdRslt', cmd, 0, 'cmd']);
    assert.deepEqual(await until(agent, 'NotifyCmdData', entry('NotifyCmdData')), ['NotifyCmdData', 'v2-customer', '{"CmdType":"IM"}']);
    await agent.evaluate(() => CRVideo_SendMeetingCustomMsg('to all', 'custom'));
    assert.deepEqual(await until(agent, 'SendMeetingCustomMsgRslt', entry('SendMeetingCustomMsgRslt')), ['SendMeetingCustomMsgRslt', 0, 'custom']);
    assert.deepEqual(await until(agent, 'NotifyMeetingCustomMsg', entry('NotifyMeetingCustomMsg')), ['NotifyMeetingCustomMsg', 'v2-agent', 'to all']);
    assert.deepEqual(await until(customer, 'NotifyMeetingCustomMsg', entry('NotifyMeetingCustomMsg')), ['NotifyMeetingCustomMsg', 'v2-agent', 'to all']);
    assert.equal(await customer.evaluate(() => window.__log.filter((e) => e[0] === 'NotifyIMMsg').length), 1, 'commands and custom messages are not texts');
    // Hang up; the agent destroys the room.
    await agent.evaluate(() => window.__hangup());
    await until(agent, 'HangupCallSuccess', entry('HangupCallSuccess'));
    await until(customer, 'NotifyCallHangup', entry('NotifyCallHangup'));
    await agent.evaluate(() => window.__destroy());
    assert.deepEqual(await until(agent, 'DestroyMeetingRslt', entry('DestroyMeetingRslt')), ['DestroyMeetingRslt', 0, 'destroy']);
    await until(customer, 'MeetingStopped', entry('MeetingStopped'));
    assert.deepEqual(await customer.evaluate(() => CRVideo_GetAllMembers()), [], 'no members once the room is gone');

    // The queue guide's snippets: QueUser.userID.
    const guideAgent = await open('queueguide.html', 'agent', 'qg-agent', 3, 'guide agent');
    assert.deepEqual(await until(guideAgent, 'StartServiceRslt', entry('StartServiceRslt')), ['StartServiceRslt', 0, 1]);
    const guideCustomer = await open('queueguide.html', 'customer', 'qg-customer', 3, 'guide customer');
    assert.deepEqual(await until(guideCustomer, 'StartQueuingRslt', entry('StartQueuingRslt')), ['StartQueuingRslt', 0]);
    assert.deepEqual(await until(guideAgent, 'AutoAssignUser', entry('AutoAssignUser')), ['AutoAssignUser', 'qg-customer']);
    assert.deepEqual(await until(guideAgent, 'ResponseAssignUserRslt', entry('ResponseAssignUserRslt')), ['ResponseAssignUserRslt', 0]);
    await until(guideCustomer, 'in service', (e) => e[0] === 'QueuingInfoChanged' && e[1] === -2);
    assert.deepEqual(errors, [], 'no page error');
  } finally {
    await close();
  }
});
