// Lineup demo apps: the few DOM helpers every page uses.
import { errorText } from './i18n.js';

export const $ = (id) => document.getElementById(id);
export const show = (id, on) => $(id).classList.toggle('hidden', !on);

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
  const line = document.createElement('div');
  line.textContent = text;
  box.appendChild(line);
  while (box.children.length > keep) box.firstChild.remove();
  box.scrollTop = 1e9;
}
