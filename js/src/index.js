// Lineup — modern API: Promises, events, typed (see index.d.ts).
//
//   import { connect } from 'lineup-sdk';
//   const client = await connect({ server: 'http://127.0.0.1:8080', token, userID: 'alice' });
//   client.on('AutoAssignUser', (user) => client.acceptAssignUser(user.queID, user.usrID));
//
// Every operation is the WebAssembly core's own typed method (written in Rust,
// src/api_ops.rs, the same ops the CRVideo functions send); this file adds event
// subscription, the options-object login and the error class.
import init, { LineupCore } from './lineup_sdk.js';

/** An error refused by the SDK or the server; `code` is the CloudRoom sdkErr. The core
 * rejects with `Error`s named LineupError that carry `code`: they are instances too. */
export class LineupError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'LineupError';
    this.code = code;
    this.sdkErr = code;
  }

  static [Symbol.hasInstance](e) {
    return e instanceof Error && e.name === 'LineupError' && typeof e.code === 'number';
  }
}

let loading = null;

/** The wasm beside this file. Vite's dev server pre-bundles dependencies into
 * node_modules/.vite/deps/, away from it: then the package's own file (no
 * `optimizeDeps.exclude` needed). A string, not `new URL(…)`: bundlers leave it alone. */
function wasmBeside() {
  const here = import.meta.url;
  if (/\/node_modules\/\.vite\/deps\//.test(here)) return here.replace(/\/\.vite\/deps\/.*$/, '/lineup-sdk/dist/lineup_sdk_bg.wasm');
  return new URL('./lineup_sdk_bg.wasm', import.meta.url);
}

/** Loads the WebAssembly core once (called by connect; call it early to preload). */
export function load(wasmUrl) {
  if (!loading) {
    loading = init({ module_or_path: wasmUrl || wasmBeside() });
  }
  return loading;
}

function dispatch(handlers, name, data) {
  for (const fn of [...(handlers.get(name) || []), ...(handlers.get('*') || [])]) {
    try { fn(data, name); } catch (e) { console.error(`lineup: handler for ${name} threw`, e); }
  }
}

/** One session with a Lineup server. */
export class Client extends LineupCore {
  #handlers;

  /** @param {string|string[]} [server] base URL, or several (nodes of one cluster:
   *  login on the first that answers, resume on any); defaults to the page's origin. */
  constructor(server) {
    const list = Array.isArray(server) ? server.join(';') : server;
    const handlers = new Map();
    super(list || (typeof location !== 'undefined' ? location.origin : ''), (name, data) => dispatch(handlers, name, data));
    this.#handlers = handlers;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on(name, fn) {
    if (!this.#handlers.has(name)) this.#handlers.set(name, new Set());
    this.#handlers.get(name).add(fn);
    return () => this.#handlers.get(name).delete(fn);
  }

  login({ appID, md5AppSecret, token, userID, nickName } = {}) {
    const bad = Object.entries(token ? { token } : { appID, md5AppSecret, userID }).find(([, v]) => typeof v !== 'string');
    if (bad) return Promise.reject(new LineupError(5, `${bad[0]} must be a string`));
    return token ? super.loginByToken(token, String(nickName || ''), String(userID || ''))
      : super.login(appID, md5AppSecret, String(nickName || ''), userID);
  }
  /** Logs out and releases the WebAssembly object. */
  async close() { await this.logout().catch(() => {}); this.free(); }
  getQueueUsers(queID, { offset, limit } = {}) { return super.getQueueUsers(queID, offset, limit); }
  startService(queID, priority = 0) { return super.startService(queID, priority); }
  startQueuing(queID, usrExtDat = '') { return super.startQueuing(queID, usrExtDat); }
}

/** Loads the core, creates a client and logs in. */
export async function connect(options) {
  await load(options.wasmUrl);
  const client = new Client(options.server);
  await client.login(options);
  return client;
}

/** Every error code the SDK and server use. */
export async function errorCodes() {
  await load();
  return LineupCore.errorCodes();
}
