// Lineup — modern API: Promises, events, typed (see index.d.ts).
//
//   import { connect } from 'lineup-sdk';
//   const client = await connect({ server: 'http://127.0.0.1:8080', appID: 'demo',
//                                  md5AppSecret: '…', userID: 'alice', nickName: 'Alice' });
//   client.on('AutoAssignUser', (user) => client.acceptAssignUser(user.queID, user.usrID));
import init, { LineupCore } from './lineup_sdk.js';

/** An error refused by the SDK or the server; `code` is the CloudRoom sdkErr. */
export class LineupError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'LineupError';
    this.code = code;
    this.sdkErr = code;
  }
}

function wrap(e) {
  if (e instanceof LineupError) return e;
  const code = e && typeof e.sdkErr === 'number' ? e.sdkErr : 1;
  return new LineupError(code, (e && e.message) || String(e));
}

let loading = null;

/** Loads the WebAssembly core once (called by connect; call it early to preload). */
export function load(wasmUrl) {
  if (!loading) {
    loading = init({ module_or_path: wasmUrl || new URL('./lineup_sdk_bg.wasm', import.meta.url) });
  }
  return loading;
}

/** One session with a Lineup server. */
export class Client {
  #core;
  #handlers = new Map();

  /** @param {string|string[]} [server] base URL, or several (nodes of one cluster:
   *  login on the first that answers, resume on any); defaults to the page's origin. */
  constructor(server) {
    const list = Array.isArray(server) ? server.join(';') : server;
    const base = list || (typeof location !== 'undefined' ? location.origin : '');
    this.#core = new LineupCore(base, (name, data) => this.#dispatch(name, data));
  }

  #dispatch(name, data) {
    for (const fn of [...(this.#handlers.get(name) || []), ...(this.#handlers.get('*') || [])]) {
      try { fn(data, name); } catch (e) { console.error(`lineup: handler for ${name} threw`, e); }
    }
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on(name, fn) {
    if (!this.#handlers.has(name)) this.#handlers.set(name, new Set());
    this.#handlers.get(name).add(fn);
    return () => this.#handlers.get(name).delete(fn);
  }

  /** Runs a core call; its failure becomes a LineupError. */
  async #guard(f) {
    try { return await f(); } catch (e) { throw wrap(e); }
  }
  #call(op) { return this.#guard(() => this.#core.request(op)); }
  /** A request whose reply carries nothing: resolves with undefined. */
  #done(op) { return this.#call(op).then(() => {}); }

  login({ appID, md5AppSecret, token, userID, nickName }) {
    return this.#guard(() => (token
      ? this.#core.loginByToken(token, nickName || '', userID || '')
      : this.#core.login(appID, md5AppSecret, nickName || '', userID)));
  }
  logout() { return this.#guard(() => this.#core.logout()).then(() => {}); }
  /** Logs out and releases the WebAssembly object. */
  async close() { await this.logout().catch(() => {}); this.#core.free(); }

  initQueueDat() { return this.#call({ op: 'InitQueueDat' }); }
  refreshAllQueueStatus() { return this.#call({ op: 'RefreshAllQueueStatus' }); }
  getQueueStatus(queID) { return this.#call({ op: 'GetQueueStatus', queID }); }
  getQueueUsers(queID, { offset, limit } = {}) { return this.#call({ op: 'GetQueueUsers', queID, offset, limit }); }
  getQueueStatistics(queID) { return this.#call({ op: 'GetQueueStatistics', queID }); }
  getAgents() { return this.#call({ op: 'GetAgents' }).then((d) => d.agents); }
  startService(queID, priority = 0) { return this.#done({ op: 'StartService', queID, priority }); }
  stopService(queID) { return this.#done({ op: 'StopService', queID }); }
  startQueuing(queID, usrExtDat = '') { return this.#done({ op: 'StartQueuing', queID, usrExtDat }); }
  stopQueuing() { return this.#done({ op: 'StopQueuing' }); }
  acceptAssignUser(queID, usrID) { return this.#done({ op: 'AcceptAssignUser', queID, usrID }); }
  rejectAssignUser(queID, usrID) { return this.#done({ op: 'RejectAssignUser', queID, usrID }); }
  setDNDStatus(on) { return this.#done({ op: 'SetDNDStatus', DNDStatus: on ? 1 : 0 }); }
  reqAssignUser() { return this.#call({ op: 'ReqAssignUser' }); }
  reqAssignUser2(queID, usrID) { return this.#call({ op: 'ReqAssignUser2', queID, usrID }); }
  finishService(queID, usrID) { return this.#done({ op: 'FinishService', queID, usrID }); }
  setAgentCapacity(capacity) { return this.#done({ op: 'SetAgentCapacity', capacity }); }
  ping() { return this.#call({ op: 'Ping' }); }
  forwardUser(queID, usrID, toQueID) { return this.#done({ op: 'ForwardUser', queID, usrID, toQueID }); }
  createMeeting(subject = '', pswd = '') { return this.#call({ op: 'CreateMeeting', subject, pswd }); }
  enterMeeting(meetID, pswd = '') { return this.#call({ op: 'EnterMeeting', meetID, pswd }); }
  exitMeeting(meetID) { return this.#done({ op: 'ExitMeeting', meetID }); }
  /** Ends a room this session created, for everyone (the others get MeetingStopped). */
  destroyMeeting(meetID) { return this.#done({ op: 'DestroyMeeting', meetID }); }
  /** Calls a user into a room; resolves with the callID. */
  call(UID, meetID, usrExtDat = '') { return this.#call({ op: 'Call', UID, meetID, usrExtDat }).then((d) => d.callID); }
  acceptCall(callID, usrExtDat = '') { return this.#done({ op: 'AcceptCall', callID, usrExtDat }); }
  rejectCall(callID, usrExtDat = '') { return this.#done({ op: 'RejectCall', callID, usrExtDat }); }
  hangupCall(callID, usrExtDat = '') { return this.#done({ op: 'HungupCall', callID, usrExtDat }); }
  holdCall(callID) { return this.#done({ op: 'HoldCall', callID }); }
  resumeCall(callID) { return this.#done({ op: 'ResumeCall', callID }); }
  getSessionInfo() { return this.#call({ op: 'GetSessionInfo' }); }
  /** The call this session is in, as last told by the server. */
  get sessionInfo() { return this.#core.sessionInfo(); }

  get queues() { return this.#core.queues(); }
  queueStatus(queID) { return this.#core.queueStatus(queID); }
  get queueStatuses() { return this.#core.queueStatuses(); }
  get queuingInfo() { return this.#core.queuingInfo(); }
  get servingQueues() { return this.#core.servingQueues(); }
  get user() { return this.#core.user(); }
  get state() { return this.#core.state(); }
  /** Drops the socket as a network failure would (the client then resumes). */
  dropConnection() { this.#core.dropConnection(); }
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
