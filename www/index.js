// Lineup demo: the start page (labels, language switch, server health).
import { applyLabels, langSwitch } from './i18n.js';

applyLabels();
langSwitch(document.getElementById('lang'));
const health = document.getElementById('health');
// /healthz answers {"status":"ok",…} (older servers: the text "ok").
fetch('/healthz').then((r) => r.text()).then((text) => {
  let status = text.trim();
  try { status = JSON.parse(text).status ?? status; } catch { /* plain text */ }
  health.textContent = status === 'ok' ? 'healthy' : text;
}).catch((e) => { health.textContent = 'unreachable: ' + e; });
