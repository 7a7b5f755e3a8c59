// Lineup demo: the customer page, on the CloudRoom-style CRVideo_* surface
// (/sdk/lineup-crvideo.js, loaded by a classic <script> before this module).
// It logs in with a short-lived customer token from the demo server (see demoToken).
import { t, applyLabels, langSwitch, fmtSeconds } from './i18n.js';
import { $, el, show, showError, clearError, appendLine, demoToken, newMedia, renderMedia, deviceOn } from './ui.js';

let queues = [];
let current = null;      // {queID, since}: where we wait
let call = null;         // {callID, meetObj, answeredAt, peerID, peerName}
let myUID = '';          // who logged in
let media = newMedia();  // the call's audio and video (see startMedia)
let remoteVideo = null;  // CRVideo video objects, made at the first room entered:
let selfVideo = null;    // the agent's camera and my preview
let screen = null;       // {UID, obj}: a screen shared in the room and its CRVideo object

// ---- callbacks, set before the SDK has loaded (CloudRoom style) ----
CRVideo_LoginSuccess.callback = function (UID) {
  myUID = UID;
  $('who').textContent = UID;
  localStorage.setItem('lineup.customer.uid', UID);
  show('loginCard', false);
  CRVideo_InitQueueDat('init');
};
CRVideo_LoginFail.callback = function (sdkErr) { showError(sdkErr); };
CRVideo_Reconnecting.callback = function () { show('reconnecting', true); };
CRVideo_Reconnected.callback = function () { show('reconnecting', false); };
CRVideo_LineOff.callback = function (sdkErr) { stopMedia(); show('reconnecting', false); showError(sdkErr); show('chooseCard', false); show('waitCard', false); show('loginCard', true); };
CRVideo_InitQueueDatRslt.callback = function (sdkErr) {
  if (sdkErr != 0) return showError(sdkErr);
  queues = CRVideo_GetAllQueueInfo();
  queues.forEach((q) => CRVideo_GetQueueStatistics(q.queID, 'stats'));
  renderQueues();
  onQueuingInfo(CRVideo_GetQueuingInfo());
};
const avgWait = {};
// Statistics need the agent or supervisor role: with a customer-only token the
// estimate stays "–".
CRVideo_GetQueueStatisticsRslt.callback = function (sdkErr, stats) {
  if (sdkErr == 0 && stats) { avgWait[stats.queID] = stats.served > 0 ? stats.avgWaitSeconds : null; renderQueues(); }
};
CRVideo_QueueStatusChanged.callback = function () { renderQueues(); };
CRVideo_StartQueuingRslt.callback = function (sdkErr) { if (sdkErr != 0) showError(sdkErr); else clearError(); };
CRVideo_StopQueuingRslt.callback = function (sdkErr) { if (sdkErr != 0) showError(sdkErr); };
// A callback keeps the place without this page (Lineup's CRVideo_RequestCallback).
CRVideo_RequestCallbackRslt.callback = function (sdkErr) {
  if (sdkErr != 0) { showError(sdkErr); return; }
  const n = $('cbNumber').value.trim();
  $('callbackNote').textContent = n ? t('callbackAt', { number: n }) : t('callbackHere');
  show('callbackNote', true);
};
CRVideo_QueuingInfoChanged.callback = function (info) { onQueuingInfo(info); };
// Skills-based routing: the search for an agent widened (1 lower levels, 2 anyone).
CRVideo_RequirementRelaxed.callback = function (queID, step) {
  $('relaxedNote').textContent = t(step >= 2 ? 'relaxedAny' : 'relaxedLower');
  show('relaxedNote', true);
};
CRVideo_QueuingEnded.callback = function () { onQueuingInfo({ queID: -1, position: 0, queuingTime: 0 }); };
CRVideo_NotifyCallIn.callback = function (callID, meetObj, callerID, usrExtDat) {
  // The caller is the agent: its UID now, its name once SessionInfo knows it.
  call = { callID, meetObj, answeredAt: 0, peerID: callerID || (meetObj && meetObj.creator) || '', peerName: '' };
  learnPeer();
  show('servedCard', true); show('ended', false); show('conversation', false); show('ringing', true);
  $('ringing').classList.add('ring');
  // What the caller sent with the call, as text.
  $('callNoteText').textContent = usrExtDat || '';
  show('callNote', !!usrExtDat);
};
CRVideo_AcceptCallSuccess.callback = function (callID) {
  call.answeredAt = Date.now();
  CRVideo_EnterMeeting(call.meetObj.ID, call.meetObj.pswd, 'enter');
  show('ringing', false); show('conversation', true);
  learnPeer();
};
CRVideo_AcceptCallFail.callback = function (callID, sdkErr) { showError(sdkErr); show('ringing', false); };
CRVideo_RejectCallSuccess.callback = function () { show('ringing', false); show('callNote', false); call = null; };
CRVideo_HangupCallSuccess.callback = function () { endCall(); };
CRVideo_NotifyCallHungup.callback = function () { endCall(); };
// In the call's room: mic, camera and the videos (see startMedia).
CRVideo_EnterMeetingRslt.callback = function (sdkErr) {
  if (!call) return;
  if (sdkErr != 0) {
    console.warn('lineup demo: the call\'s room was not entered, so no audio or video', sdkErr);
    media = newMedia(); media.failed = { code: sdkErr }; renderMedia(media);
    return;
  }
  startMedia();
};
CRVideo_UserEnterMeeting.callback = function (UID) {
  // The agent (or, when the call did not say who calls, whoever enters): its camera, large.
  if (!media.on || UID === myUID || (media.peer && UID !== media.peer)) return;
  media.peer = UID;
  remoteVideo.setVideo(UID, 0);
  media.peerCam = CRVideo_GetVideoStatus(UID);
  renderMedia(media);
};
// A screen shared in the room (CloudRoom's screen-share object), with who shares it.
CRVideo_NotifyScreenShareStarted.callback = function (UID) {
  if (screen) screen.obj.destroy();
  screen = null;
  if (UID !== myUID) {
    const obj = CRVideo_CreatScreenShareObj({ poster: '' });
    obj.setVideo(UID);
    obj.setVisibleNickName(false);
    obj.dblClickFullScreen(1);
    $('screenBox').append(obj.handler());
    screen = { UID, obj };
  }
  renderScreen();
};
CRVideo_NotifyScreenShareStopped.callback = function (UID) {
  if (screen && screen.UID === UID) { screen.obj.destroy(); screen = null; }
  renderScreen();
};
function renderScreen() {
  show('screenBox', !!screen);
  $('screenNote').textContent = screen ? t('screenOf', { name: call && call.peerName && screen.UID === call.peerID ? call.peerName : screen.UID }) : '';
}
CRVideo_UserLeftMeeting.callback = function (UID) {
  if (media.on && UID === media.peer) { media.peerCam = 0; renderMedia(media); }
};
CRVideo_AudioStatusChanged.callback = function (UID, oldStatus, newStatus) {
  if (media.on && UID === myUID) { media.mic = newStatus; renderMedia(media); }
};
CRVideo_VideoStatusChanged.callback = function (UID, oldStatus, newStatus) {
  if (!media.on) return;
  if (UID === myUID) media.cam = newStatus;
  else if (UID === media.peer) media.peerCam = newStatus;
  renderMedia(media);
};
// Media lost (the call goes on): the statuses went to closed; the toggles open again.
CRVideo_MeetingDropped.callback = function () { if (media.on) { media.lost = true; renderMedia(media); } };
CRVideo_MeetingStopped.callback = function () { stopMedia(); };
CRVideo_NotifyCallEvent.callback = function (evt) {
  show('eventsCard', true);
  appendLine('events', `#${evt.eventid} ${evt.eventTime} ${evt.source} ${evt.event}`);
};

/** The agent's nickname from SessionInfo, when it is about this call; then shows who calls. */
function learnPeer() {
  if (!call) return;
  if (!call.peerName) {
    const s = CRVideo_GetSessionInfo();
    if (s && s.callID === call.callID && s.peerName) { call.peerName = s.peerName; if (s.peerID) call.peerID = s.peerID; }
  }
  renderPeer();
}

function renderPeer() {
  if (!call) return;
  const name = call.peerName || call.peerID;
  // Text only (textContent): the name comes from another user.
  $('ringingPeer').textContent = name ? t('agentCalling', { name }) : t('incomingCall');
  $('callPeer').textContent = name ? t('inCallWith', { name }) : t('inCall');
}

/** A CRVideo video object for #videos: `cls` "remote" (large) or "self" (the small preview). */
function videoObj(id, cls, testid) {
  const v = CRVideo_CreatVideoObj();
  v.id = id; v.className = cls; v.dataset.testid = testid;
  return v;
}

/** In the call's room (EnterMeetingRslt 0): opens my mic and camera and shows the agent's
 * camera and my preview. A device that cannot open (status "no device") leaves a note; the
 * call goes on. */
function startMedia() {
  try {
    if (!remoteVideo) {
      remoteVideo = videoObj('remoteVideo', 'remote', 'remote-video');
      selfVideo = videoObj('selfVideo', 'self', 'self-video');
      $('videos').prepend(remoteVideo);
      $('videos').append(selfVideo);
    }
    media = newMedia();
    media.on = true;
    media.peer = call.peerID;
    remoteVideo.setVideo(media.peer, 0);
    selfVideo.setVideo(myUID, 0);
    media.mic = CRVideo_GetAudioStatus(myUID);
    media.cam = CRVideo_GetVideoStatus(myUID);
    media.peerCam = media.peer ? CRVideo_GetVideoStatus(media.peer) : 0;
    show('media', true);
    renderMedia(media);
    CRVideo_OpenMic(myUID);
    CRVideo_OpenVideo(myUID);
  } catch (e) {
    console.warn('lineup demo: no audio or video', e);
  }
}

/** The call is over: my devices close, the videos show nothing. */
function stopMedia() {
  if (screen) { screen.obj.destroy(); screen = null; }
  renderScreen();
  const was = media.on;
  media = newMedia();   // first, so the status changes that closing brings are not shown
  show('media', false);
  renderMedia(media);
  if (!was) return;
  try {
    CRVideo_CloseMic(myUID);
    CRVideo_CloseVideo(myUID);
    remoteVideo.setVideo('', 0);
    selfVideo.setVideo('', 0);
  } catch (e) {
    console.warn('lineup demo: closing audio and video', e);
  }
}

/** A Mic / Camera toggle: closes an open (or opening) device, opens a closed one. */
function toggleDevice(kind) {
  if (!media.on) return;
  media.lost = false;
  if (kind === 'mic') (deviceOn(media.mic) ? CRVideo_CloseMic : CRVideo_OpenMic)(myUID);
  else (deviceOn(media.cam) ? CRVideo_CloseVideo : CRVideo_OpenVideo)(myUID);
  renderMedia(media);
}

function endCall() {
  stopMedia();
  show('ringing', false); show('conversation', false); show('callNote', false); show('ended', true);
  call = null;
}

function onQueuingInfo(info) {
  // A widened search is per queue: a new queue (overflow, forward) or the end clears it.
  if (!current || info.queID !== current.queID) show('relaxedNote', false);
  if (info.queID > 0) {
    show('ended', false);
    // The server's estimate (-1: not known yet), counted down here until the next one.
    const est = typeof info.estimatedWaitTime === 'number' && info.estimatedWaitTime >= 0 ? info.estimatedWaitTime : null;
    current = { queID: info.queID, since: Date.now() - info.queuingTime * 1000, ewtUntil: est == null ? null : Date.now() + est * 1000 };
    showEstimate();
    const q = queues.find((x) => x.queID === info.queID);
    $('waitQueue').textContent = q ? q.name : `#${info.queID}`;
    $('position').textContent = String(info.position);
    show('nextHint', info.position === 0);
    show('chooseCard', false); show('waitCard', true); show('servedCard', false);
  } else if (info.queID === -2) {
    current = null;
    show('chooseCard', false); show('waitCard', false); show('servedCard', true);
  } else {
    current = null;
    show('waitCard', false); show('servedCard', !!call); show('chooseCard', !call && !!$('who').textContent);
  }
}

function renderQueues() {
  $('queues').replaceChildren(...queues.map((q) => {
    const s = CRVideo_GetQueueStatus(q.queID) || { wait_num: 0 };
    const avg = avgWait[q.queID];
    const est = avg == null ? '–' : fmtSeconds(avg * (s.wait_num + 1));
    return el('li', { dataset: { queue: q.queID } },
      el('div', { class: 'grow' }, el('strong', null, q.name), el('div', { class: 'muted' }, q.desc)),
      el('span', { class: 'pill', dataset: { testid: 'wait-num' } }, `${s.wait_num} ${t('waiting')}`),
      el('span', { class: 'pill' }, `${t('estWait')} ${est}`),
      el('button', {
        dataset: { testid: `join-${q.queID}` },
        // Lineup: attributes after the cookie, for a queue with a skills requirement.
        onclick: () => CRVideo_StartQueuing2(q.queID, $('details').value, 'join', $('language').value ? { language: $('language').value } : undefined),
      }, t('join')));
  }));
}

$('loginBtn').onclick = async () => {
  clearError();
  const uid = $('uid').value.trim();
  if (!uid) return showError(5);
  const nickName = $('nick').value.trim() || uid;
  let token;
  try {
    token = await demoToken(uid, nickName, 'customer');
  } catch (e) {
    return showError(e);
  }
  // CloudRoom's order: token, nickName, userID, userAuthCode, cookie.
  CRVideo_LoginByToken(token, nickName, uid, '', 'login');
};
$('leaveBtn').onclick = () => CRVideo_StopQueuing('leave');
$('callbackBtn').onclick = () => CRVideo_RequestCallback($('cbNumber').value.trim(), 'callback');
$('acceptCall').onclick = () => { $('ringing').classList.remove('ring'); CRVideo_AcceptCall(call.callID, call.meetObj, '', 'accept'); };
$('declineCall').onclick = () => CRVideo_RejectCall(call.callID, '', 'decline');
$('hangUp').onclick = () => CRVideo_HungupCall(call.callID, '', 'hangup');
$('micBtn').onclick = () => toggleDevice('mic');
$('camBtn').onclick = () => toggleDevice('cam');

/** The estimated wait left (counted down from what the server said; it says again when
 * its estimate moves), "any moment" once that has run out, "–" while it cannot know. */
function showEstimate() {
  if (!current) return;
  const left = current.ewtUntil == null ? null : (current.ewtUntil - Date.now()) / 1000;
  $('ewt').textContent = left == null ? '–' : left < 1 ? t('anyMoment') : fmtSeconds(left);
}

setInterval(() => {
  if (current) $('waited').textContent = fmtSeconds((Date.now() - current.since) / 1000);
  showEstimate();
  if (call && call.answeredAt) $('talkTimer').textContent = fmtSeconds((Date.now() - call.answeredAt) / 1000);
  if (call && !call.peerName) learnPeer();
}, 500);

applyLabels();
renderMedia(media);
langSwitch($('lang'), () => { renderQueues(); renderPeer(); renderMedia(media); renderScreen(); });
CRVideo_Init();
// A reload logs the same customer in again: its place in the queue is kept.
const saved = localStorage.getItem('lineup.customer.uid');
$('uid').value = saved || 'cust-' + Math.random().toString(36).slice(2, 7);
$('nick').value = localStorage.getItem('lineup.customer.nick') || '';
$('nick').onchange = () => localStorage.setItem('lineup.customer.nick', $('nick').value);
if (saved && new URLSearchParams(location.search).get('autologin') !== '0') $('loginBtn').click();
