// Lineup demo: the agent console, on the modern Promise/event API (/sdk/index.js).
// It logs in with a short-lived agent token from the demo server (see demoToken).
import { connect } from '/sdk/index.js';
import { t, errorText, applyLabels, langSwitch, fmtSeconds, agentStateText } from './i18n.js';
import { $, el, show, showError, clearError, appendLine, demoToken, newMedia, renderMedia, deviceOn } from './ui.js';

let client = null;
let queues = [];
const serving = new Map();      // queID -> priority
const waiting = new Map();      // queID -> QueUser[]
// A QueUser's queuingTime is the seconds waited when the server sent it: when that was.
const receivedAt = new WeakMap(); // QueUser -> Date.now() at arrival
let waitedCells = [];           // [element, QueUser] of the waiting list, ticked each second
let offer = null;               // {user, until}
let current = null;             // {user, callID, answeredAt}
let myUID = '';                 // who logged in
let reasons = [];               // the app's table of reasons: [{DNDType, label, manualPulls}]
let myStatus = null;            // my last AgentStatusChanged
let media = newMedia();         // the call's audio and video (see startMedia)
// My work, counted by this page; replaced by the server's totals when the token also
// carries the supervisor role (GetAgents needs it; a demo agent token has only "agent").
const mine = { served: 0, talkSeconds: 0, fromServer: true };

const safely = (f) => async (...a) => { try { clearError(); await f(...a); } catch (e) { showError(e); } };

function renderQueues() {
  const rows = [];
  for (const q of queues) {
    const s = client.queueStatus(q.queID) || { wait_num: 0 };
    // Named for a screen reader: the queue is in another cell.
    const box = el('input', {
      type: 'checkbox', class: 'auto', dataset: { testid: `serve-${q.queID}` }, checked: serving.has(q.queID),
      'aria-label': `${t('serve')}: ${q.name}`,
    });
    const prio = el('input', {
      type: 'number', min: 0, max: 1000, value: String(serving.get(q.queID) ?? 0), class: 'num', dataset: { testid: `prio-${q.queID}` },
      'aria-label': `${t('priority')}: ${q.name}`,
    });
    const tr = el('tr', null,
      el('td', null, el('strong', null, q.name), el('div', { class: 'muted' }, `prio ${q.prio}`)),
      el('td', null, box),
      el('td', null, prio),
      el('td', { dataset: { testid: `wait-${q.queID}` } }, s.wait_num));
    box.onchange = safely(async () => {
      if (box.checked) {
        await client.startService(q.queID, Number(prio.value) || 0);
        serving.set(q.queID, Number(prio.value) || 0);
        const page = await client.getQueueUsers(q.queID, { limit: 100 });
        waiting.set(q.queID, received(page.users));
      } else {
        await client.stopService(q.queID);
        serving.delete(q.queID);
        waiting.delete(q.queID);
      }
      renderWaiting();
    });
    prio.onchange = safely(async () => { if (serving.has(q.queID)) await client.startService(q.queID, Number(prio.value) || 0); });
    rows.push(tr);
  }
  $('queues').replaceChildren(...rows);
}

/** Notes when these QueUser objects arrived; returns them. */
function received(users) {
  const now = Date.now();
  for (const u of users) receivedAt.set(u, now);
  return users;
}

/** Seconds the customer has waited by now. */
const waitedNow = (u) => u.queuingTime + (Date.now() - (receivedAt.get(u) ?? Date.now())) / 1000;

function tickWaited() {
  for (const [cell, u] of waitedCells) cell.textContent = fmtSeconds(waitedNow(u));
}

function renderWaiting() {
  const rows = [];
  const cells = [];
  show('waitingCard', serving.size > 0);
  for (const [queID, users] of waiting) {
    const q = queues.find((x) => x.queID === queID);
    for (const u of users) {
      const sel = el('select', { class: 'auto', 'aria-label': `${t('forward')}: ${u.name || u.usrID}` },
        queues.filter((x) => x.queID !== queID).map((other) => el('option', { value: String(other.queID) }, other.name)));
      const btn = el('button', {
        class: 'secondary', dataset: { i18n: 'forward', testid: `forward-${u.usrID}` },
        onclick: safely(() => client.forwardUser(queID, u.usrID, Number(sel.value))),
      }, t('forward'));
      const waited = el('span', { class: 'pill', dataset: { testid: `waited-${u.usrID}` } }, fmtSeconds(waitedNow(u)));
      cells.push([waited, u]);
      // A wrapping row (not a table): on a phone the Forward controls go to a line of their own.
      rows.push(el('li', { dataset: { user: u.usrID } },
        el('div', { class: 'grow' }, el('strong', null, u.name || u.usrID), el('div', { class: 'muted' }, u.usrExtDat),
          u.attributes ? el('div', { class: 'muted', dataset: { testid: `attributes-${u.usrID}` } }, attributesText(u.attributes)) : null),
        el('span', { class: 'muted' }, q ? q.name : queID),
        waited,
        u.callback === undefined ? null
          : el('span', { class: 'pill warn', dataset: { testid: `callback-${u.usrID}` } }, u.callback ? t('callbackTo', { number: u.callback }) : t('callbackInPage')),
        el('div', { class: 'row' }, sel, btn)));
    }
  }
  waitedCells = cells;
  $('waiting').replaceChildren(...rows);
}

/** A customer's attributes as `name: value` pairs (skills-based routing). */
function attributesText(attributes) {
  return attributes ? Object.entries(attributes).map(([k, v]) => `${k}: ${v}`).join(' · ') : '';
}

function renderCurrent() {
  show('current', !!current); show('currentNone', !current);
  if (!current) return;
  $('curName').textContent = current.user.name || current.user.usrID;
  $('curExt').textContent = current.user.usrExtDat
    + (current.user.callback === undefined ? '' : ` · ${current.user.callback ? t('callbackTo', { number: current.user.callback }) : t('callbackInPage')}`);
  show('callBtn', !current.callID); show('hangBtn', !!current.callID);
}

function takeCustomer(user) {
  current = { user, callID: null, answeredAt: 0 };
  $('callState').textContent = '';
  renderCurrent();
}

function logEvent(evt) {
  appendLine('events', `#${evt.eventid} ${evt.eventTime} ${evt.source} ${evt.event} ${evt.sessionid}`);
}

function renderStats() {
  $('servedCount').textContent = mine.served;
  $('talkTime').textContent = fmtSeconds(mine.talkSeconds);
}

async function refreshStats() {
  if (!client) return;
  if (mine.fromServer) {
    try {
      const me = (await client.getAgents()).find((a) => a.UID === client.user.UID);
      if (me) { mine.served = me.servedTotal; mine.talkSeconds = me.serviceSecondsTotal; }
    } catch (e) { if (e.code === 30) mine.fromServer = false; /* not a supervisor token: count here */ }
  }
  renderStats();
}

/** In the call's room: opens my mic and camera, shows the customer's camera (`peer`, its
 * usrID) and my preview. A device that cannot open (LineupError 34: status "no device")
 * leaves a note; the call goes on. */
function startMedia(peer) {
  try {
    media = newMedia();
    media.on = true;
    media.peer = peer;
    client.attachVideo($('remoteVideo'), peer);
    client.attachVideo($('selfVideo'), myUID);
    media.mic = client.audioStatus();
    media.cam = client.videoStatus();
    media.peerCam = client.videoStatus(peer);
    show('media', true);
    renderMedia(media);
    openDevice('mic');
    openDevice('cam');
  } catch (e) {
    console.warn('lineup demo: no audio or video', e);
  }
}

/** Opens my mic or camera; a failure is a note (the status says "no device" for 34), never an error. */
function openDevice(kind) {
  const m = media;
  m.lost = false; m.failed = null;
  (kind === 'mic' ? client.openMic() : client.openVideo()).catch((e) => {
    console.warn(`lineup demo: the ${kind === 'mic' ? 'microphone' : 'camera'} did not open`, e);
    if (m === media && m.on && e && e.code !== 34) { m.failed = { code: e.code ?? 35, message: e.message }; renderMedia(m); }
  });
}

/** Who shares a screen in the call's room ('' when nobody): the share button says Share
 * or Stop, the box shows the screen (mine: my capture) and who shares it, as text. */
let sharer = '';
function renderShare() {
  const mine = sharer !== '' && sharer === myUID;
  $('shareBtn').textContent = t(mine ? 'stopSharing' : 'shareScreen');
  $('shareBtn').setAttribute('aria-pressed', String(mine));
  $('shareBtn').disabled = sharer !== '' && !mine;
  show('screenBox', sharer !== '');
  $('screenNote').textContent = sharer === '' ? '' : mine ? t('youShare') : t('screenOf', { name: sharer });
}

/** Share button: shares my screen (the browser asks which), or stops my share. */
function toggleShare() {
  if (!media.on || !client) return;
  const p = sharer === myUID ? client.stopScreenShare() : client.startScreenShare();
  p.catch((e) => {
    $('screenNote').textContent = `${t('shareFailed')}: ${errorText(e.code, e.message)}`;
    show('screenBox', true);
  });
}

/** A share started or stopped in the room (mine too). */
function onShare(started) {
  return ({ UID }) => {
    if (started) sharer = UID;
    else if (UID === sharer) sharer = '';
    client.attachScreen($('screenVideo'), sharer);
    renderShare();
  };
}

/** The call is over: my devices close, the videos show nothing. */
function stopMedia() {
  if (sharer === myUID && client) client.stopScreenShare().catch(() => {});
  sharer = '';
  if (client) client.attachScreen($('screenVideo'), '');
  renderShare();
  const was = media.on;
  media = newMedia();   // first, so the status changes that closing brings are not shown
  show('media', false);
  renderMedia(media);
  if (!was || !client) return;
  try {
    client.closeMic();
    client.closeVideo();
    client.attachVideo($('remoteVideo'), '');
    client.attachVideo($('selfVideo'), '');
  } catch (e) {
    console.warn('lineup demo: closing audio and video', e);
  }
}

/** A Mic / Camera toggle: closes an open (or opening) device, opens a closed one. */
function toggleDevice(kind) {
  if (!media.on) return;
  if (deviceOn(kind === 'mic' ? media.mic : media.cam)) {
    if (kind === 'mic') client.closeMic(); else client.closeVideo();
  } else openDevice(kind);
  renderMedia(media);
}

/** A status event (AudioStatusChanged / VideoStatusChanged) of mine or the customer's camera. */
/** The status choice: available, manual mode and the app's reasons (labels as text). */
function renderReasons() {
  const options = [[0, t('available')], [1, t('manual')], ...reasons.filter((r) => r.DNDType !== 1).map((r) => [r.DNDType, r.label])];
  if (myStatus && myStatus.DNDType === 1000) options.push([1000, t('noAnswer')]);
  $('reason').replaceChildren(...options.map(([v, label]) => el('option', { value: String(v) }, label)));
  $('reason').value = String(myStatus ? myStatus.DNDType : 0);
}

/** My state as the server tells it; a pause after missed offers is explained. */
function renderMyStatus() {
  if (!myStatus) return;
  const pill = { idle: 'pill ok', busy: 'pill warn', offline: 'pill bad' }[myStatus.state] || 'pill';
  $('myState').className = pill;
  $('myState').textContent = agentStateText(myStatus.state, myStatus.DNDType, myStatus.label);
  const paused = myStatus.DNDType === 1000;
  $('pausedNote').textContent = paused ? t('pausedNoAnswer', { n: myStatus.missedOffers }) : '';
  show('pausedNote', paused);
  for (const r of document.querySelectorAll('input[name=mode]')) r.checked = (r.value === 'manual') === (myStatus.DNDType === 1);
  renderReasons();
}

const onDeviceStatus = (kind) => ({ UID, newStatus }) => {
  if (!media.on) return;
  if (UID === myUID) media[kind] = newStatus;
  else if (kind === 'cam' && UID === media.peer) media.peerCam = newStatus;
  renderMedia(media);
};

/** The call ended: its talk time counts (locally) as my work. */
function callEnded() {
  stopMedia();
  if (current && current.answeredAt) {
    if (!mine.fromServer) mine.talkSeconds += (Date.now() - current.answeredAt) / 1000;
    current.answeredAt = 0;
  }
}

$('loginBtn').onclick = safely(async () => {
  const uid = $('uid').value.trim();
  if (!uid) return showError(5);
  const nickName = $('nick').value.trim() || uid;
  const token = await demoToken(uid, nickName, 'agent');
  client = await connect({ server: location.origin, token, userID: uid, nickName });
  myUID = client.user?.UID || uid;
  // At once: a resumed or taken-over session is told its state while logging in.
  client.on('AgentStatusChanged', (s) => { if (s.UID === myUID) { myStatus = s; renderMyStatus(); } });
  localStorage.setItem('lineup.agent.uid', uid);
  $('who').textContent = uid;
  const init = await client.initQueueDat();
  queues = init.queues;
  show('loginCard', false); show('desk', true);
  renderQueues();
  reasons = await client.getAgentReasons();
  renderReasons();
  client.on('QueueStatusChanged', renderQueues);
  client.on('UserEnter', ({ queID, user }) => { if (waiting.has(queID)) { waiting.get(queID).push(...received([user])); renderWaiting(); } });
  client.on('UserLeave', ({ queID, usrID }) => {
    if (waiting.has(queID)) { waiting.set(queID, waiting.get(queID).filter((u) => u.usrID !== usrID)); renderWaiting(); }
  });
  client.on('AutoAssignUser', (user) => {
    // The countdown runs for the app's offer timeout, which the login reply carries.
    offer = { user, until: Date.now() + (client.user.offerTimeoutSeconds || 30) * 1000 };
    $('offerLeft').textContent = client.user.offerTimeoutSeconds || 30;
    $('offerWho').textContent = user.name || user.usrID;
    $('offerExt').textContent = user.usrExtDat;
    // A callback: the customer may have left its page; call it back at the number.
    $('offerCallback').textContent = user.callback === undefined ? '' : (user.callback ? t('callbackTo', { number: user.callback }) : t('callbackInPage'));
    show('offerCallback', user.callback !== undefined);
    // What the customer brought for skills-based routing (plain text).
    $('offerAttributes').textContent = attributesText(user.attributes);
    show('offerAttributes', !!user.attributes);
    show('offer', true);
  });
  client.on('CancelAssignUser', ({ usrID, reason }) => {
    offer = null; show('offer', false);
    $('offerNote').textContent = `${t('offerWithdrawn')} (${usrID}): ${t(reason)}`;
    show('offerNote', true);
  });
  client.on('NotifyCallAccepted', () => { if (current) { current.answeredAt = Date.now(); $('callState').textContent = t('inCall'); } });
  client.on('NotifyCallRejected', ({ sdkErr }) => { stopMedia(); $('callState').textContent = errorText(sdkErr); });
  client.on('NotifyCallHungup', () => { callEnded(); $('callState').textContent = t('callEnded'); if (current) current.callID = null; renderCurrent(); });
  client.on('ServiceFinished', () => {
    callEnded();
    if (!mine.fromServer) mine.served += 1;
    current = null; renderCurrent(); refreshStats();
  });
  client.on('NotifyCallEvent', logEvent);
  client.on('AudioStatusChanged', onDeviceStatus('mic'));
  client.on('VideoStatusChanged', onDeviceStatus('cam'));
  client.on('UserEnterMeeting', ({ UID }) => {
    // The customer entered the room: its camera, large (attached again, now that it is there).
    if (!media.on || UID !== media.peer) return;
    client.attachVideo($('remoteVideo'), UID);
    media.peerCam = client.videoStatus(UID);
    renderMedia(media);
  });
  client.on('UserLeftMeeting', ({ UID }) => { if (media.on && UID === media.peer) { media.peerCam = 0; renderMedia(media); } });
  // Media lost (the call goes on): the statuses went to closed; the toggles open again.
  client.on('MediaLost', () => { if (media.on) { media.lost = true; renderMedia(media); } });
  client.on('MeetingStopped', stopMedia);
  client.on('NotifyScreenShareStarted', onShare(true));
  client.on('NotifyScreenShareStopped', onShare(false));
  client.on('Reconnecting', () => show('reconnecting', true));
  client.on('Reconnected', () => show('reconnecting', false));
  client.on('LineOff', ({ sdkErr }) => { stopMedia(); show('reconnecting', false); showError(sdkErr); show('desk', false); show('loginCard', true); });
  refreshStats();
});

for (const r of document.querySelectorAll('input[name=mode]')) {
  r.onchange = safely(async () => {
    await client.setDNDStatus(r.value === 'manual' && r.checked);
    $('reason').value = r.value === 'manual' ? '1' : '0';
  });
}
$('reason').onchange = safely(() => client.setDNDStatus(Number($('reason').value)));
$('nextBtn').onclick = safely(async () => takeCustomer(await client.reqAssignUser()));
$('acceptOffer').onclick = safely(async () => {
  const u = offer.user; offer = null; show('offer', false);
  await client.acceptAssignUser(u.queID, u.usrID);
  takeCustomer(u);
});
$('rejectOffer').onclick = safely(async () => {
  const u = offer.user; offer = null; show('offer', false);
  await client.rejectAssignUser(u.queID, u.usrID);
});
$('callBtn').onclick = safely(async () => {
  const room = await client.createMeeting(`Lineup: ${current.user.usrID}`, Math.random().toString(36).slice(2, 8));
  await client.enterMeeting(room.ID, room.pswd);
  startMedia(current.user.usrID);
  try {
    current.callID = await client.call(current.user.usrID, room.ID, '');
  } catch (e) {
    stopMedia();
    throw e;
  }
  $('callState').textContent = '…';
  renderCurrent();
});
$('hangBtn').onclick = safely(async () => {
  await client.hangupCall(current.callID);
  callEnded();
});
$('micBtn').onclick = () => toggleDevice('mic');
$('camBtn').onclick = () => toggleDevice('cam');
$('shareBtn').onclick = toggleShare;
$('finishBtn').onclick = safely(() => client.finishService(current.user.queID, current.user.usrID));

setInterval(() => {
  if (offer) $('offerLeft').textContent = Math.max(0, Math.ceil((offer.until - Date.now()) / 1000));
  if (current && current.answeredAt) $('callState').textContent = `${t('inCall')} ${fmtSeconds((Date.now() - current.answeredAt) / 1000)}`;
  tickWaited();
}, 500);
setInterval(refreshStats, 5000);

applyLabels();
renderMedia(media);
langSwitch($('lang'), () => { renderMedia(media); renderShare(); if (client) { renderQueues(); renderWaiting(); renderMyStatus(); renderReasons(); } });
$('uid').value = localStorage.getItem('lineup.agent.uid') || 'agent-' + Math.random().toString(36).slice(2, 6);
