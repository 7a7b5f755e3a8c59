// Lineup demo: the supervisor board, on the modern Promise/event API (/sdk/index.js).
// It logs in with a short-lived supervisor token from the demo server (see demoToken).
import { connect } from '/sdk/index.js';
import { t, errorText, applyLabels, langSwitch, fmtSeconds, agentStateText } from './i18n.js';
import { $, el, show, showError, clearError, appendLine, demoToken } from './ui.js';

let client = null;
let queues = [];
const history = { waiting: [], sl: [] };   // last 5 minutes, one sample each 2 s
let lastAgents = new Map();
let agentList = [];   // the last getAgents() answer, to draw the table again (language switch, monitoring)
// Customers each agent took today (pushed with its states: AgentStatusChanged, Wallboard).
const servedToday = new Map();

// Monitoring a call (the supervisor's media): { agent, name, customer, meetID, mode } while on,
// `pending` while monitorCall is under way (the buttons wait), `lost` after MediaLost.
let mon = null;
let pending = false;
let monSeq = 0;       // bumped by every start and stop: a late monitorCall answer is dropped
const MODES = [['monitor', 'listen', 'modeMonitor'], ['whisper', 'whisper', 'modeWhisper'], ['barge', 'barge', 'modeBarge']];

function note(text) {
  appendLine('events', `${new Date().toLocaleTimeString()} ${text}`);
}

function draw(canvas, values, max, color) {
  const c = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  c.clearRect(0, 0, w, h);
  c.strokeStyle = '#e3e7ef';
  c.beginPath(); c.moveTo(0, h - 1); c.lineTo(w, h - 1); c.stroke();
  if (values.length === 0) return;
  // The samples so far span the whole width (up to 5 minutes of them).
  const top = Math.max(max, 1);
  const pts = values.length === 1 ? [values[0], values[0]] : values;
  c.strokeStyle = color; c.lineWidth = 2; c.beginPath();
  pts.forEach((v, i) => {
    const x = (i / (pts.length - 1)) * w, y = h - 4 - (v / top) * (h - 12);
    if (i === 0) c.moveTo(x, y); else c.lineTo(x, y);
  });
  c.stroke();
  c.fillStyle = '#65708a'; c.font = '11px system-ui';
  c.fillText(String(Math.round(values[values.length - 1] * 100) / 100), 4, 12);
}

/** An agent's state as the server tells it: [pill class, words]. */
function agentState(a) {
  const pill = { idle: 'pill ok', busy: 'pill warn', offline: 'pill bad', logged_out: 'pill bad' }[a.state] || 'pill';
  return [a.DNDType === 1000 ? 'pill bad' : pill, agentStateText(a.state, a.DNDType, a.reasonLabel)];
}

/** How long an agent has been in its state. */
const inState = (a) => fmtSeconds((Date.now() - a.stateSince) / 1000);

/** A pushed AgentStatusChanged: the agent's row changes at once (no waiting for the next poll). */
function onAgentStatus(s, render = true) {
  let a = agentList.find((x) => x.UID === s.UID);
  if (!a) {
    // An agent new to the board: shown at once, the rest of its row at the next poll.
    a = { UID: s.UID, nickName: '', online: s.state !== 'offline', customers: [], servedTotal: 0 };
    agentList.push(a);
  }
  const before = lastAgents.get(a.UID);
  Object.assign(a, { state: s.state, DNDType: s.DNDType, reasonLabel: s.label, stateSince: s.since, missedOffers: s.missedOffers });
  servedToday.set(s.UID, s.servedToday);
  const now = agentState(a)[1];
  if (before === undefined) note(`${a.UID}: ${now}`);
  else if (now !== before) note(`${a.UID}: ${before} → ${now}`);
  lastAgents.set(a.UID, now);
  if (render) renderAgents();
}

/** The customer whose answered call an agent is in (the one carrying meetID), if any. */
const monitorable = (a) => a.customers.find((c) => typeof c.meetID === 'number' && c.meetID > 0);

/** Listen / Whisper / Barge for an agent in an answered call: a row under the agent's. */
function monitorRow(a, c) {
  const buttons = MODES.map(([mode, label]) => {
    const on = mon && mon.agent === a.UID && mon.meetID === c.meetID && mon.mode === mode;
    return el('button', {
      class: on ? null : 'secondary',
      'aria-pressed': String(Boolean(on)),
      disabled: pending,
      dataset: { testid: `${mode}-${a.UID}` },
      onclick: () => startMonitor(a, c, mode),
    }, t(label));
  });
  return el('tr', { class: 'monitor-row', dataset: { monitorOf: a.UID } },
    el('td', { colspan: 4 }, el('div', { class: 'row' }, ...buttons)));
}

function renderAgents() {
  const rows = [];
  for (const a of agentList) {
    const [pill, state] = agentState(a);
    const c = monitorable(a);
    rows.push(el('tr', { class: c ? 'has-monitor' : null, dataset: { agent: a.UID } },
      el('td', null, el('strong', null, a.nickName || a.UID)),
      el('td', null, el('span', { class: pill, dataset: { testid: `agent-state-${a.UID}` } }, state), ' ',
        el('span', { class: 'muted' }, inState(a))),
      el('td', { dataset: { testid: `agent-customer-${a.UID}` } }, a.customers.map((x) => x.usrID).join(', ')),
      el('td', { dataset: { testid: `served-today-${a.UID}` } }, servedToday.get(a.UID) ?? 0)));
    if (c) rows.push(monitorRow(a, c));
  }
  $('agents').replaceChildren(...rows);
}

/** The monitoring panel: whom, how, and a note after media loss. */
function renderMonitor() {
  show('monitoring', Boolean(mon));
  if (!mon) return;
  const mode = MODES.find(([m]) => m === mon.mode);
  $('monitorTitle').textContent = t('monitoringTitle', { name: mon.name, mode: t(mode[2]) });
  $('monitorAgentName').textContent = mon.name;
  $('monitorCustomerName').textContent = mon.customer;
  $('monitorNote').textContent = mon.lost ? t('monitorLost') : '';
  show('monitorNote', Boolean(mon.lost));
}

/** Leaves the monitored call's media (if any) and hides the panel. */
function stopMonitor() {
  monSeq += 1;
  const was = mon;
  mon = null;
  pending = false;
  try {
    client.leaveMedia();
    client.attachVideo($('monitorAgentVideo'), '');
    client.attachVideo($('monitorCustomerVideo'), '');
  } catch (e) {
    console.warn('lineup demo: leaving the monitored call', e);
  }
  renderMonitor();
  renderAgents();
  return was;
}

/** Listens to (monitor), whispers to the agent in (whisper) or joins (barge) agent `a`'s call
 * with customer `c`; another monitoring stops first. A failure (30, 800, 605, 34, …) is shown
 * in the error box. */
async function startMonitor(a, c, mode) {
  if (pending) return;
  clearError();
  stopMonitor();
  const seq = monSeq;
  pending = true;
  renderAgents();
  try {
    await client.monitorCall(c.meetID, mode, a.UID);
    if (seq !== monSeq) return;   // stopped meanwhile (Stop, the call ended): stopMonitor left the media
    mon = { agent: a.UID, name: a.nickName || a.UID, customer: c.usrID, meetID: c.meetID, mode, lost: false };
    client.attachVideo($('monitorAgentVideo'), a.UID);
    client.attachVideo($('monitorCustomerVideo'), c.usrID);
  } catch (e) {
    if (seq !== monSeq) return;
    console.warn('lineup demo: monitoring the call failed', e);
    try { client.leaveMedia(); } catch (e2) { console.warn('lineup demo: leaving the monitored call', e2); }
    mon = null;
    showError(e);
  } finally {
    if (seq === monSeq) pending = false;
  }
  renderMonitor();
  renderAgents();
}

/** A wallboard frame (pushed, at most once a second after a change): the queue table,
 * the charts and the agents' states. */
function onWallboard(w) {
  const name = (id) => (queues.find((q) => q.queID === id) || { name: `#${id}` }).name;
  $('stats').replaceChildren(...w.queues.map((s) => el('tr', { dataset: { queue: s.queID } },
    el('td', null, el('strong', null, name(s.queID))),
    el('td', { dataset: { testid: `waiting-${s.queID}` } }, s.waiting),
    el('td', null, fmtSeconds(s.longestWaitSeconds)),
    el('td', { dataset: { testid: `available-${s.queID}` } }, s.agentsAvailable),
    el('td', { dataset: { testid: `needed-${s.queID}` } }, s.agentsNeeded ?? '–'),
    el('td', { dataset: { testid: `busy-${s.queID}` } }, s.agents.busy),
    el('td', { dataset: { testid: `not-ready-${s.queID}` } }, s.agents.notReady),
    el('td', { dataset: { testid: `served-${s.queID}` } }, s.served),
    el('td', { dataset: { testid: `abandoned-${s.queID}` } }, s.abandoned),
    el('td', { dataset: { testid: `sl-${s.queID}` } }, `${Math.round(s.serviceLevel * 100)}%`),
    el('td', { dataset: { testid: `ewt-${s.queID}` } }, s.estimatedWaitTime < 0 ? '–' : fmtSeconds(s.estimatedWaitTime)))));
  const totalWaiting = w.queues.reduce((a, s) => a + s.waiting, 0);
  const served = w.queues.reduce((a, s) => a + s.served, 0);
  const sl = served ? w.queues.reduce((a, s) => a + s.serviceLevel * s.served, 0) / served : 1;
  history.waiting.push(totalWaiting); history.sl.push(sl);
  for (const k of Object.keys(history)) if (history[k].length > 150) history[k].shift();
  draw($('waitChart'), history.waiting, Math.max(...history.waiting), '#2f6fed');
  draw($('slChart'), history.sl, 1, '#1a8f52');
  for (const a of w.agents) onAgentStatus(a, false);
  renderAgents();
}

/** The agents' current customers (for monitoring), which the pushed states do not carry. */
async function refresh() {
  const agents = await client.getAgents();
  agentList = agents;
  const now = new Map();
  for (const a of agents) {
    const [, state] = agentState(a);
    now.set(a.UID, state);
    if (lastAgents.has(a.UID) && lastAgents.get(a.UID) !== state) note(`${a.UID}: ${lastAgents.get(a.UID)} → ${state}`);
    if (!lastAgents.has(a.UID)) note(`${a.UID}: ${state}`);
  }
  lastAgents = now;
  // The monitored call is gone from the list (finished, hung up, forwarded): stop monitoring it.
  if (mon && !agents.some((a) => a.UID === mon.agent && a.customers.some((c) => c.meetID === mon.meetID))) {
    const was = stopMonitor();
    note(t('monitorEnded', { name: was.name }));
  } else {
    renderAgents();
  }
}

$('loginBtn').onclick = async () => {
  try {
    clearError();
    const uid = $('uid').value.trim();
    if (!uid) return showError(5);
    const token = await demoToken(uid, 'Supervisor', 'supervisor');
    client = await connect({ server: location.origin, token, userID: uid, nickName: 'Supervisor' });
    $('who').textContent = client.user.UID;
    queues = (await client.initQueueDat()).queues;
    show('loginCard', false); show('board', true);
    client.on('QueueStatusChanged', (s) => {
      const q = queues.find((x) => x.queID === s.queID);
      note(`${q ? q.name : s.queID}: ${s.wait_num} ${t('waiting')}, ${s.agent_num} ${t('agents')}, ${s.srv_num} ${t('busy')}`);
    });
    client.on('QueueInfoChanged', (q) => { if (!queues.some((x) => x.queID === q.queID)) queues.push(q); });
    client.on('AgentStatusChanged', onAgentStatus);
    client.on('Wallboard', onWallboard);
    client.on('Reconnected', () => client.subscribeWallboard().catch((e) => note(errorText(e.code, e.message))));
    // The monitored call's media connection was lost: say so; a mode button starts again.
    client.on('MediaLost', () => {
      if (!mon) return;
      console.warn('lineup demo: the monitored call\'s media was lost');
      mon.lost = true;
      renderMonitor();
    });
    client.on('MeetingStopped', (m) => {
      if (mon && m && m.meetID === mon.meetID) { const was = stopMonitor(); note(t('monitorEnded', { name: was.name })); }
    });
    await client.subscribeWallboard();
    await refresh();
    setInterval(() => refresh().catch((e) => note(errorText(e.code, e.message))), 2000);
  } catch (e) {
    showError(e);
  }
};

$('monitorStop').onclick = () => { clearError(); stopMonitor(); };

applyLabels();
langSwitch($('lang'), () => { if (client) { renderAgents(); renderMonitor(); } });
