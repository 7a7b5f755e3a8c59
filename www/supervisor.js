// Lineup demo: the supervisor board, on the modern Promise/event API (/sdk/index.js).
// It logs in with a short-lived supervisor token from the demo server (see demoToken).
import { connect } from '/sdk/index.js';
import { t, errorText, applyLabels, langSwitch, fmtSeconds } from './i18n.js';
import { $, el, show, showError, clearError, appendLine, demoToken } from './ui.js';

let client = null;
let queues = [];
const history = { waiting: [], sl: [] };   // last 5 minutes, one sample each 2 s
let lastAgents = new Map();

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

/** An agent's state: [pill class, label]. */
function agentState(a) {
  if (!a.online) return ['pill bad', t('offline')];
  if (a.customers.length) return ['pill warn', t('busy')];
  if (a.wrapUpUntil) return ['pill', t('wrapUp')];
  if (a.DNDStatus) return ['pill', t('dnd')];
  return ['pill ok', t('idle')];
}

async function refresh() {
  const stats = await Promise.all(queues.map((q) => client.getQueueStatistics(q.queID)));
  $('stats').replaceChildren(...stats.map((s, i) => el('tr', { dataset: { queue: s.queID } },
    el('td', null, el('strong', null, queues[i].name)),
    el('td', { dataset: { testid: `waiting-${s.queID}` } }, s.waiting),
    el('td', null, fmtSeconds(s.longestWaitingSeconds)),
    el('td', { dataset: { testid: `available-${s.queID}` } }, s.agentsAvailable),
    el('td', { dataset: { testid: `busy-${s.queID}` } }, s.agentsBusy),
    el('td', { dataset: { testid: `served-${s.queID}` } }, s.served),
    el('td', { dataset: { testid: `abandoned-${s.queID}` } }, s.abandoned),
    el('td', { dataset: { testid: `sl-${s.queID}` } }, `${Math.round(s.serviceLevel * 100)}%`))));
  const totalWaiting = stats.reduce((a, s) => a + s.waiting, 0);
  const served = stats.reduce((a, s) => a + s.served, 0);
  const sl = served ? stats.reduce((a, s) => a + s.serviceLevel * s.served, 0) / served : 1;
  history.waiting.push(totalWaiting); history.sl.push(sl);
  for (const k of Object.keys(history)) if (history[k].length > 150) history[k].shift();
  draw($('waitChart'), history.waiting, Math.max(...history.waiting), '#2f6fed');
  draw($('slChart'), history.sl, 1, '#1a8f52');

  const agents = await client.getAgents();
  const rows = [];
  const now = new Map();
  for (const a of agents) {
    const [pill, state] = agentState(a);
    rows.push(el('tr', { dataset: { agent: a.UID } },
      el('td', null, el('strong', null, a.nickName || a.UID)),
      el('td', null, el('span', { class: pill }, state)),
      el('td', { dataset: { testid: `agent-customer-${a.UID}` } }, a.customers.map((c) => c.usrID).join(', ')),
      el('td', null, a.servedTotal)));
    now.set(a.UID, state);
    if (lastAgents.has(a.UID) && lastAgents.get(a.UID) !== state) note(`${a.UID}: ${lastAgents.get(a.UID)} → ${state}`);
    if (!lastAgents.has(a.UID)) note(`${a.UID}: ${state}`);
  }
  $('agents').replaceChildren(...rows);
  lastAgents = now;
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
    await refresh();
    setInterval(() => refresh().catch((e) => note(errorText(e.code, e.message))), 2000);
  } catch (e) {
    showError(e);
  }
};

applyLabels();
langSwitch($('lang'));
