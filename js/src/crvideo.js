/*
 * Lineup — CloudRoom-compatible queue SDK (classic script).
 *
 *   <script src="https://your-lineup-server/sdk/lineup-crvideo.js"></script>
 *
 * Defines, synchronously, every CRVideo_* function, every CRVideo_Xxx callback proxy
 * (set `CRVideo_Xxx.callback = function (...) {}`) and the error constants. Calls made
 * before the WebAssembly core has loaded are queued and run in order. The server is
 * the one this script was loaded from; change it with CRVideo_SetServerAddr(addr).
 */
(function (global) {
  'use strict';
  if (global.CRVideo_Init) return;

  var script = global.document && global.document.currentScript;
  var sdkBase = script && script.src ? new URL('.', script.src).href : './';
  var serverAddr = script && script.src ? new URL(script.src).origin : (global.location ? global.location.origin : '');

  // ---- callback proxies (CloudRoom's CbProxy) ----
  function CbProxy(name) { this.name = name; this.callback = null; }
  var CALLBACKS = [
    'LoginSuccess', 'LoginFail', 'LineOff', 'NotifyTokenWillExpire',
    'InitQueueDatRslt', 'QueueStatusChanged', 'QueuingInfoChanged', 'GetQueueStatusRslt',
    'StartQueuingRslt', 'StopQueuingRslt', 'StartServiceRslt', 'StopServiceRslt',
    'AutoAssignUser', 'CancelAssignUser', 'ResponseAssignUserRslt', 'ReqAssignUserRslt',
    'SetDNDStatusSuccess', 'SetDNDStatusFail', 'UserEnter', 'UserLeave',
    // calls and rooms
    'CreateMeetingSuccess', 'CreateMeetingFail', 'EnterMeetingRslt', 'UserEnterMeeting', 'UserLeftMeeting',
    'CallSuccess', 'CallFail', 'NotifyCallIn', 'NotifyCallAccepted', 'NotifyCallRejected', 'NotifyCallHungup',
    'NotifyCallHangup', 'AcceptCallSuccess', 'AcceptCallFail', 'RejectCallSuccess', 'RejectCallFail',
    'HangupCallSuccess', 'HangupCallFail', 'NotifyCallEvent',
    'MeetingDropped', 'MeetingStopped', 'StopMeetingRslt',
    // set by CloudRoom's meeting and media guides (they fire once media is in the call)
    'AudioStatusChanged', 'VideoStatusChanged', 'MicEnergyUpdate', 'AudioDevChanged', 'VideoDevChanged',
    'NotifyIMmsg', 'SendIMmsgRlst',
    // Lineup additions
    'NotifyCallHold', 'NotifyCallResume', 'HoldCallRslt', 'ResumeCallRslt', 'ForwardUserRslt',
    'FinishServiceRslt', 'ServiceFinished', 'QueuingEnded', 'ServiceStopped', 'QueueInfoChanged',
    'QueueRemoved', 'SetAgentCapacityRslt', 'GetQueueStatisticsRslt', 'GetAgentsRslt',
    'Reconnecting', 'Reconnected'
  ];
  CALLBACKS.forEach(function (n) { global['CRVideo_' + n] = new CbProxy('CRVideo_' + n); });

  function fire(name, args) {
    var proxy = global['CRVideo_' + name];
    if (!proxy || typeof proxy.callback !== 'function') return;
    try { proxy.callback.apply(null, args); } catch (e) {
      if (global.console) global.console.error('lineup: CRVideo_' + name + '.callback threw', e);
    }
  }

  // ---- error constants (CloudRoom's numbers; Lineup additions marked in the docs) ----
  var CODES = {
    NOERR: 0, UNKNOWERR: 1, INNER_ERR: 3, MEETPARAM_ERR: 5, ERR_DATA: 6, ANCTPSWD_ERR: 7,
    LOGINSTATE_ERROR: 9, CRVideoSDK_USER_BEEN_KICKOUT: 10, NOT_LOGIN: 12, TOKEN_TIMEOUT: 18,
    TOKEN_AUTHINFOERR: 19, TOKEN_APPIDNOTEXIST: 20, TOKEN_AUTH_FAILED: 21, TOKEN_NOTTOKENTYPE: 22,
    NO_PERMISSION: 30, FRAME_TOO_LARGE: 31, SESSION_RECONNECTING: 32, CONNECTIONLOST: 207,
    QUE_ID_INVALID: 400, QUE_NOUSER: 401, QUE_USER_CANCELLED: 402, QUE_SERVICE_NOT_START: 403,
    ALREADY_OTHERQUE: 404, QUE_FULL: 405, QUE_AGENT_BUSY: 406, QUE_NAME_EXISTS: 407,
    INVALID_CALLID: 600, ERR_CALL_EXIST: 601, ERR_BUSY: 602, ERR_OFFLINE: 603, ERR_NOANSWER: 604,
    ERR_USER_NOT_FOUND: 605, ERR_REFUSE: 606, MEETNOTEXIST: 800, AUTHERROR: 801
  };
  Object.keys(CODES).forEach(function (k) { global['CRVideo_' + k] = CODES[k]; });
  global.CRVideo_USER_BEEN_KICKOUT = CODES.CRVideoSDK_USER_BEEN_KICKOUT;

  // ---- the core, loaded asynchronously; calls wait for it ----
  var core = null;
  var waiting = [];
  var queueUsers = {};  // queID -> QueUser[] for the queues this agent serves
  var currentMeeting = 0;  // the room this session entered (0: none)

  function whenReady(fn) { if (core) fn(); else waiting.push(fn); }
  function code(e) { return e && typeof e.sdkErr === 'number' ? e.sdkErr : CODES.UNKNOWERR; }
  function ck(c) { return c === undefined || c === null ? '' : c; }
  function str(v) { return v === undefined || v === null ? '' : String(v); }
  function req(op) { return core.request(op); }

  function onEvent(name, d) {
    switch (name) {
      case 'QueueStatusChanged': case 'QueuingInfoChanged': case 'AutoAssignUser':
      case 'QueueInfoChanged': case 'ServiceFinished': case 'NotifyCallEvent':
        fire(name, [d]); break;
      case 'CancelAssignUser': fire(name, [d.queID, d.usrID]); break;
      case 'UserEnter':
        if (queueUsers[d.queID]) queueUsers[d.queID].push(d.user);
        fire(name, [d.queID, d.user]); break;
      case 'UserLeave':
        if (queueUsers[d.queID]) queueUsers[d.queID] = queueUsers[d.queID].filter(function (u) { return u.usrID !== d.usrID; });
        fire(name, [d.queID, d.usrID, d.inService]); break;
      case 'QueuingEnded': fire(name, [d.queID, d.reason]); break;
      case 'ServiceStopped': case 'QueueRemoved': delete queueUsers[d.queID]; fire(name, [d.queID]); break;
      case 'LineOff':
        queueUsers = {};
        if (currentMeeting) { currentMeeting = 0; fire('MeetingDropped', []); }
        fire(name, [d.sdkErr]); break;
      case 'MeetingStopped':
        if (currentMeeting === d.meetID) currentMeeting = 0;
        fire(name, []); break;
      case 'NotifyTokenWillExpire': case 'Reconnecting': case 'Reconnected': fire(name, []); break;
      case 'NotifyCallIn': fire(name, [d.callID, d.meetObj, d.callerID, d.usrExtDat]); break;
      case 'NotifyCallAccepted': fire(name, [d.callID, d.meetObj, d.usrExtDat]); break;
      case 'NotifyCallRejected': fire(name, [d.callID, d.sdkErr, d.usrExtDat]); break;
      case 'NotifyCallHungup':  // H5 spells it NotifyCallHangup
        fire(name, [d.callID, d.usrExtDat]); fire('NotifyCallHangup', [d.callID, d.usrExtDat]); break;
      case 'NotifyCallHold': case 'NotifyCallResume': fire(name, [d.callID]); break;
      case 'UserEnterMeeting': case 'UserLeftMeeting': fire(name, [d.UID, d.nickName, d.meetID]); break;
    }
  }

  var loader = global.__LINEUP_CORE_LOADER__ || function () {
    return import(sdkBase + 'lineup_sdk.js').then(function (m) {
      return m.default({ module_or_path: sdkBase + 'lineup_sdk_bg.wasm' }).then(function () {
        return function (server, onEvent) { return new m.LineupCore(server, onEvent); };
      });
    });
  };
  Promise.resolve().then(function () { return loader(); }).then(function (makeCore) {
    core = makeCore(serverAddr, onEvent);
    waiting.splice(0).forEach(function (fn) { fn(); });
  }).catch(function (e) {
    if (global.console) global.console.error('lineup: cannot load the SDK core', e);
  });

  // A request whose result goes to one Rslt callback.
  function call(op, ok, fail) {
    whenReady(function () { req(op).then(ok, function (e) { fail(code(e), e); }); });
  }

  // A request answered through one Rslt callback: ([lead,] sdkErr, cookie).
  function rslt(op, name, cookie, lead) {
    var pre = arguments.length > 3 ? [lead] : [];
    call(op, function () { fire(name, pre.concat([CODES.NOERR, ck(cookie)])); },
      function (c) { fire(name, pre.concat([c, ck(cookie)])); });
  }
  // A request whose Rslt callback carries data: (sdkErr, data or null, cookie).
  function dataRslt(op, name, cookie, pick) {
    call(op, function (d) { fire(name, [CODES.NOERR, pick ? pick(d) : d, ck(cookie)]); },
      function (c) { fire(name, [c, null, ck(cookie)]); });
  }

  // ---- init and login ----
  global.CRVideo_Init = function () { return CODES.NOERR; };
  global.CRVideo_Init2 = global.CRVideo_Init;
  global.CRVideo_Uninit = function () { global.CRVideo_Logout(); };  // also forgets the queue users
  // CloudRoom SetServerAddr("host1:port;host2:port"): several addresses are nodes of
  // one cluster; the SDK logs in on the first that answers and resumes on any of them.
  global.CRVideo_SetServerAddr = function (addr) {
    var scheme = global.location && global.location.protocol === 'https:' ? 'https://' : 'http://';
    serverAddr = String(addr || '').split(';').map(function (a) {
      a = a.trim();
      if (a && !/^https?:\/\//.test(a)) a = scheme + a;
      return a.replace(/\/+$/, '');
    }).filter(Boolean).join(';');
    if (core) core.setServer(serverAddr);
    return CODES.NOERR;
  };
  global.CRVideo_Login = function (appID, md5_appSecret, nickName, UID, userAuthCode, cookie) {
    whenReady(function () {
      core.login(String(appID), String(md5_appSecret), String(nickName || ''), String(UID)).then(
        function () { fire('LoginSuccess', [UID, ck(cookie)]); },
        function (e) { fire('LoginFail', [code(e), ck(cookie)]); });
    });
  };
  global.CRVideo_LoginByToken = function (token, nickName, UID, userAuthCode, cookie) {
    whenReady(function () {
      core.loginByToken(String(token), String(nickName || ''), UID ? String(UID) : '').then(
        function (d) { fire('LoginSuccess', [d.UID, ck(cookie)]); },
        function (e) { fire('LoginFail', [code(e), ck(cookie)]); });
    });
  };
  global.CRVideo_Logout = function () { queueUsers = {}; whenReady(function () { core.logout(); }); };

  // ---- queue information ----
  global.CRVideo_InitQueueDat = function (cookie) {
    rslt({ op: 'InitQueueDat' }, 'InitQueueDatRslt', cookie);
  };
  global.CRVideo_GetAllQueueInfo = function () { return core ? core.queues() : []; };
  global.CRVideo_GetQueueStatus = function (queID, cookie) {
    if (arguments.length >= 2) {  // H5 style: also answered through GetQueueStatusRslt
      call({ op: 'GetQueueStatus', queID: queID },
        function (s) { fire('GetQueueStatusRslt', [s, CODES.NOERR, ck(cookie)]); },
        function (c) { fire('GetQueueStatusRslt', [null, c, ck(cookie)]); });
    }
    return core ? core.queueStatus(queID) : undefined;
  };
  global.CRVideo_RefreshAllQueueStatus = function () {
    call({ op: 'RefreshAllQueueStatus' }, function () {}, function () {});
  };
  global.CRVideo_GetQueuingInfo = function () {
    return core ? core.queuingInfo() : { queID: -1, position: 0, queuingTime: 0 };
  };
  global.CRVideo_GetServingQueues = function () { return core ? core.servingQueues() : []; };
  global.CRVideo_GetSessionInfo = function () {
    return core ? core.sessionInfo()
      : { callID: '', peerID: '', peerName: '', bCallAccepted: 0, meetingID: 0, meetingPswd: '', duration: 0 };
  };
  global.CRVideo_GetQueueUsers = function (queID) { return JSON.stringify(queueUsers[queID] || []); };

  // ---- agents ----
  function startService(queID, priority, cookie) {
    call({ op: 'StartService', queID: queID, priority: priority },
      function () {
        fire('StartServiceRslt', [queID, CODES.NOERR, ck(cookie)]);
        req({ op: 'GetQueueUsers', queID: queID, limit: 1000 }).then(function (d) { queueUsers[queID] = d.users; }, function () {});
      },
      function (c) { fire('StartServiceRslt', [queID, c, ck(cookie)]); });
  }
  global.CRVideo_StartService = function (queID, cookie) { startService(queID, 0, cookie); };
  global.CRVideo_StartService2 = function (queID, priority, cookie) { startService(queID, priority || 0, cookie); };
  global.CRVideo_StopService = function (queID, cookie) {
    call({ op: 'StopService', queID: queID },
      function () { delete queueUsers[queID]; fire('StopServiceRslt', [queID, CODES.NOERR, ck(cookie)]); },
      function (c) { fire('StopServiceRslt', [queID, c, ck(cookie)]); });
  };
  function respond(op) {
    return function (queID, usrID, cookie) {
      rslt({ op: op, queID: queID, usrID: String(usrID) }, 'ResponseAssignUserRslt', cookie);
    };
  }
  global.CRVideo_AcceptAssignUser = respond('AcceptAssignUser');
  global.CRVideo_RejectAssignUser = respond('RejectAssignUser');
  global.CRVideo_SetDNDStatus = function (status, cookie) {
    call({ op: 'SetDNDStatus', DNDStatus: Number(status) || 0 },
      function () { fire('SetDNDStatusSuccess', [ck(cookie)]); },
      function (c) { fire('SetDNDStatusFail', [c, ck(cookie)]); });
  };
  global.CRVideo_ReqAssignUser = function (cookie) {
    dataRslt({ op: 'ReqAssignUser' }, 'ReqAssignUserRslt', cookie);
  };
  global.CRVideo_ReqAssignUser2 = function (queID, usrID, cookie) {
    dataRslt({ op: 'ReqAssignUser2', queID: queID, usrID: String(usrID) }, 'ReqAssignUserRslt', cookie);
  };

  // ---- customers ----
  function startQueuing(queID, usrExtDat, cookie) {
    rslt({ op: 'StartQueuing', queID: queID, usrExtDat: str(usrExtDat) }, 'StartQueuingRslt', cookie);
  }
  global.CRVideo_StartQueuing = function (queID, a, b) {
    // CRVideo_StartQueuing(queID, cookie); the H5 form (queID, usrExtDat, cookie) too.
    if (arguments.length >= 3) startQueuing(queID, a, b); else startQueuing(queID, '', a);
  };
  global.CRVideo_StartQueuing2 = function (queID, usrExtDat, cookie) { startQueuing(queID, usrExtDat, cookie); };
  global.CRVideo_StopQueuing = function (a, b) {
    // CRVideo_StopQueuing(cookie); the (queID, cookie) form of some docs too.
    var cookie = arguments.length >= 2 ? b : a;
    rslt({ op: 'StopQueuing' }, 'StopQueuingRslt', cookie);
  };

  // ---- rooms and calls ----
  function createMeeting(subject, pswd, cookie) {
    call({ op: 'CreateMeeting', subject: String(subject || ''), pswd: String(pswd || '') },
      function (meetObj) { fire('CreateMeetingSuccess', [meetObj, ck(cookie)]); },
      function (c) { fire('CreateMeetingFail', [c, ck(cookie)]); });
  }
  // A room password the system makes (CloudRoom: createPswd > 0): 6 random digits.
  function newPassword() {
    var b = new Uint32Array(1);
    (global.crypto || global.msCrypto).getRandomValues(b);
    return ('00000' + (b[0] % 1000000)).slice(-6);
  }
  // CloudRoom CreateMeeting(meetSubject, createPswd, cookie): createPswd 0 no password,
  // > 0 one generated for the room (it comes back in meetObj.pswd).
  global.CRVideo_CreateMeeting = function (subject, createPswd, cookie) {
    createMeeting(subject, Number(createPswd) > 0 ? newPassword() : '', cookie);
  };
  global.CRVideo_CreateMeeting2 = function (params, cookie) {
    var p = params && typeof params === 'object' ? params : { subject: params };
    createMeeting(p.subject || p.meetSubject, p.pswd || p.password, cookie);
  };
  global.CRVideo_EnterMeeting = function (meetID, pswd, a, b, c) {
    // CloudRoom's (meetID, pswd, userID, nickName, cookie); the short (meetID, pswd,
    // cookie) and (meetID, pswd, nickName, cookie) forms too. The user and nickname are
    // the logged-in session's.
    var cookie = arguments.length >= 5 ? c : arguments.length === 4 ? b : a;
    var id = meetID && typeof meetID === 'object' ? meetID.ID : meetID;
    call({ op: 'EnterMeeting', meetID: Number(id), pswd: String(pswd || '') },
      function () { currentMeeting = Number(id); fire('EnterMeetingRslt', [CODES.NOERR, ck(cookie)]); },
      function (c) { fire('EnterMeetingRslt', [c, ck(cookie)]); });
  };
  // CloudRoom DestroyMeeting(meetID, cookie) → StopMeetingRslt(sdkErr, cookie): the
  // creator ends the room for everyone (the others get MeetingStopped).
  global.CRVideo_DestroyMeeting = function (meetID, cookie) {
    var id = meetID && typeof meetID === 'object' ? meetID.ID : Number(meetID);
    call({ op: 'DestroyMeeting', meetID: id },
      function () { if (currentMeeting === id) currentMeeting = 0; fire('StopMeetingRslt', [CODES.NOERR, ck(cookie)]); },
      function (c) { fire('StopMeetingRslt', [c, ck(cookie)]); });
  };
  global.CRVideo_ExitMeeting = function (meetID) {
    var id = meetID === undefined ? currentMeeting : Number(meetID);
    if (id === currentMeeting) currentMeeting = 0;
    if (id) call({ op: 'ExitMeeting', meetID: id }, function () {}, function () {});
  };
  function newCallID() {
    var b = new Uint8Array(12);
    (global.crypto || global.msCrypto).getRandomValues(b);
    return 'c' + Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  global.CRVideo_Call = function (UID, meetObj, usrExtDat, cookie) {
    var callID = newCallID();
    var meetID = meetObj && typeof meetObj === 'object' ? meetObj.ID : meetObj;
    call({ op: 'Call', callID: callID, UID: String(UID), meetID: Number(meetID), usrExtDat: str(usrExtDat) },
      function () { fire('CallSuccess', [callID, ck(cookie)]); },
      function (c) { fire('CallFail', [callID, c, ck(cookie)]); });
    return callID;
  };
  function callAnswer(op, ok, bad) {
    return function (callID, usrExtDat, cookie) {
      call({ op: op, callID: String(callID), usrExtDat: str(usrExtDat) },
        function () { fire(ok, [callID, ck(cookie)]); },
        function (c) { fire(bad, [callID, c, ck(cookie)]); });
    };
  }
  var acceptCall = callAnswer('AcceptCall', 'AcceptCallSuccess', 'AcceptCallFail');
  global.CRVideo_AcceptCall = function (callID, meetObj, usrExtDat, cookie) { acceptCall(callID, usrExtDat, cookie); };
  global.CRVideo_RejectCall = callAnswer('RejectCall', 'RejectCallSuccess', 'RejectCallFail');
  global.CRVideo_HungupCall = callAnswer('HungupCall', 'HangupCallSuccess', 'HangupCallFail');
  global.CRVideo_HangupCall = global.CRVideo_HungupCall;
  global.CRVideo_HoldCall = function (callID, cookie) {
    rslt({ op: 'HoldCall', callID: String(callID) }, 'HoldCallRslt', cookie, callID);
  };
  global.CRVideo_ResumeCall = function (callID, cookie) {
    rslt({ op: 'ResumeCall', callID: String(callID) }, 'ResumeCallRslt', cookie, callID);
  };

  // ---- Lineup additions ----
  global.CRVideo_ForwardUser = function (queID, usrID, toQueID, cookie) {
    rslt({ op: 'ForwardUser', queID: queID, usrID: String(usrID), toQueID: toQueID }, 'ForwardUserRslt', cookie);
  };
  global.CRVideo_FinishService = function (queID, usrID, cookie) {
    rslt({ op: 'FinishService', queID: queID, usrID: String(usrID) }, 'FinishServiceRslt', cookie);
  };
  global.CRVideo_SetAgentCapacity = function (capacity, cookie) {
    rslt({ op: 'SetAgentCapacity', capacity: capacity }, 'SetAgentCapacityRslt', cookie);
  };
  global.CRVideo_GetQueueStatistics = function (queID, cookie) {
    dataRslt({ op: 'GetQueueStatistics', queID: queID }, 'GetQueueStatisticsRslt', cookie);
  };
  global.CRVideo_GetAgents = function (cookie) {
    dataRslt({ op: 'GetAgents' }, 'GetAgentsRslt', cookie, function (d) { return d.agents; });
  };
})(typeof window !== 'undefined' ? window : globalThis);
