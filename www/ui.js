// Lineup demo apps: the few DOM helpers every page uses.
//
// Everything a user, a queue or a call carries (UIDs, names, details, queue names) is
// untrusted: it reaches the page only as text (textContent, text nodes, attribute
// values set through the DOM), never as HTML.
import { t, errorText } from './i18n.js';

export const $ = (id) => document.getElementById(id);
export const show = (id, on) => $(id).classList.toggle('hidden', !on);

/** Builds an element: el('td', { class: 'muted', dataset: { testid: 'x' } }, 'text', child, …).
 * String and number children become text nodes (never parsed as HTML); null, undefined and
 * false are skipped; arrays are flattened. Attributes: `class`, `style` (a CSS text),
 * `dataset` (an object), `value` / `checked` / `disabled` (set as properties), functions
 * under `on<event>` (added as listeners); anything else is set with setAttribute. */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = String(v);
    else if (k === 'style') e.style.cssText = String(v);
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = String(dv);
    else if (k === 'value' || k === 'checked' || k === 'disabled') e[k] = v;
    else if (/^on/i.test(k)) {
      if (typeof v !== 'function') throw new TypeError(`el: ${k} must be a function`);
      e.addEventListener(k.slice(2).toLowerCase(), v);
    } else e.setAttribute(k, v === true ? '' : String(v));
  }
  e.append(...nodes(children));
  return e;
}

function nodes(children) {
  return children.flat(Infinity)
    .filter((c) => c !== undefined && c !== null && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
}

/** Shows "Error <code>: <meaning>" in the page's #error box (an SDK error object or a code). */
export function showError(e, message) {
  const code = typeof e === 'object' && e !== null ? (e.code !== undefined ? e.code : 1) : e;
  $('error').textContent = errorText(code, typeof e === 'object' && e !== null ? e.message : message);
  show('error', true);
}
export const clearError = () => show('error', false);

/** Appends a line to a log box, keeps the last `keep` lines and scrolls to the end. */
export function appendLine(id, text, keep = 200) {
  const box = $(id);
  box.appendChild(el('div', null, text));
  while (box.children.length > keep) box.firstChild.remove();
  box.scrollTop = 1e9;
}

/** A short-lived LoginByToken token for `uid` in the demo app, with one role ("customer",
 * "agent" or "supervisor"), from this demo server's POST /api/v1/demo/token. It stands in
 * for a business backend, which mints tokens with POST /api/v1/apps/{app}/tokens and
 * keeps the app secret to itself: no page ever holds the secret.
 * Rejects with an error carrying `code` (the server's err; 207 when unreachable). */
export async function demoToken(uid, nickName, role) {
  let r;
  try {
    r = await fetch('/api/v1/demo/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ UID: uid, nickName: nickName || '', roles: [role] }),
    });
  } catch (e) {
    throw Object.assign(new Error(String(e)), { code: 207 });
  }
  const v = await r.json().catch(() => null);
  if (v && v.err === 0 && typeof v.token === 'string') return v.token;
  const code = v && typeof v.err === 'number' && v.err !== 0 ? v.err : 1;
  const message = r.status === 404 ? t('noDemo') : (v && v.msg) || `HTTP ${r.status}`;
  throw Object.assign(new Error(message), { code });
}

// ---- a call's audio and video (both pages: the same ids, micBtn, camBtn, videos, remoteOff, mediaNote) ----

/** CloudRoom's device statuses (GetAudioStatus / audioStatus): 0 unknown, 1 no device,
 * 2 closed, 3 open, 4 opening. */
export const DEVICE = { UNKNOWN: 0, NONE: 1, CLOSED: 2, OPEN: 3, OPENING: 4 };
export const deviceOn = (s) => s === DEVICE.OPEN || s === DEVICE.OPENING;

/** What a page shows of a call's media: in the room (`on`), the peer's UID, the statuses
 * of my mic and camera and of the peer's camera, media lost, another failure ({code, message}). */
export const newMedia = () => ({ on: false, peer: '', mic: 0, cam: 0, peerCam: 0, lost: false, failed: null });

/** A Mic / Camera toggle: "Mic: on", "Mic: opening…" (disabled meanwhile), … */
function deviceButton(id, labelKey, status) {
  const b = $(id);
  const state = { [DEVICE.OPEN]: 'mediaOn', [DEVICE.OPENING]: 'mediaOpening', [DEVICE.NONE]: 'mediaNone' }[status] || 'mediaOff';
  b.textContent = `${t(labelKey)}: ${t(state)}`;
  b.classList.toggle('secondary', status !== DEVICE.OPEN);
  b.setAttribute('aria-pressed', String(deviceOn(status)));
  b.disabled = status === DEVICE.OPENING;
}

/** Shows the media state `m` (see newMedia): the toggles, my preview only while my camera is
 * open, "No video" over the peer's video while its camera is not, and a short note on what
 * failed (the call goes on). */
export function renderMedia(m) {
  deviceButton('micBtn', 'mic', m.mic);
  deviceButton('camBtn', 'camera', m.cam);
  $('videos').classList.toggle('no-self', m.cam !== DEVICE.OPEN);
  show('remoteOff', m.peerCam !== DEVICE.OPEN);
  const notes = [
    m.mic === DEVICE.NONE && t('micUnavailable'),
    m.cam === DEVICE.NONE && t('camUnavailable'),
    m.lost && t('mediaLost'),
    m.failed && `${t('mediaUnavailable')}: ${errorText(m.failed.code, m.failed.message)}`,
  ].filter(Boolean);
  $('mediaNote').textContent = notes.join(' · ');
  show('mediaNote', notes.length > 0);
}
