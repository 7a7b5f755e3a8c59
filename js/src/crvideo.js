/*
 * Lineup — CloudRoom-compatible queue SDK (classic script): the loader.
 *
 *   <script src="https://your-lineup-server/sdk/lineup-crvideo.js"></script>
 *
 * Every CRVideo_* function and callback is the WebAssembly module's own (written in
 * Rust, src/crvideo/; lineup_crvideo.js and lineup_crvideo_bg.wasm beside this file). This script only makes them usable at once: it defines,
 * synchronously, every CRVideo_Xxx callback proxy (set `CRVideo_Xxx.callback =
 * function (...) {}`) and the error constants, installs a stand-in for every function
 * that queues the call, loads the module, installs its exports as the globals and runs
 * the queued calls in order. The server is the one this script was loaded from; change
 * it with CRVideo_SetServerAddr("host:port;host2:port").
 */
(function (global) {
  'use strict';
  if (global.CRVideo_Init) return;

  var script = global.document && global.document.currentScript;
  var sdkBase = script && script.src ? new URL('.', script.src).href : './';
  var serverAddr = script && script.src ? new URL(script.src).origin : (global.location ? global.location.origin : '');

  // ---- callback proxies (CloudRoom's CbProxy); the module fires them ----
  function CbProxy(name) { this.name = name; this.callback = null; }
  var CALLBACKS = [
    'LoginSuccess', 'LoginFail', 'LineOff', 'NotifyTokenWillExpire',
    'InitQueueDatRslt', 'QueueStatusChanged', 'QueuingInfoChanged', 'GetQueueStatusRslt',
    'StartQueuingRslt', 'StopQueuingRslt', 'StartServiceRslt', 'StopServiceRslt',
    'AutoAssignUser', 'CancelAssignUser', 'ResponseAssignUserRslt', 'ReqAssignUserRslt',
    'SetDNDStatusSuccess', 'SetDNDStatusFail', 'UserEnter', 'UserLeave',
    'CreateMeetingSuccess', 'CreateMeetingFail', 'EnterMeetingRslt', 'UserEnterMeeting', 'UserLeftMeeting',
    'CallSuccess', 'CallFail', 'NotifyCallIn', 'NotifyCallAccepted', 'NotifyCallRejected', 'NotifyCallHungup',
    'NotifyCallHangup', 'AcceptCallSuccess', 'AcceptCallFail', 'RejectCallSuccess', 'RejectCallFail',
    'HangupCallSuccess', 'HangupCallFail', 'NotifyCallEvent',
    'MeetingDropped', 'MeetingStopped', 'StopMeetingRslt',
    'AudioStatusChanged', 'VideoStatusChanged', 'MicEnergyUpdate', 'AudioDevChanged', 'VideoDevChanged',
    'NotifyIMmsg', 'SendIMmsgRlst',
    'NotifyCallHold', 'NotifyCallResume', 'HoldCallRslt', 'ResumeCallRslt', 'ForwardUserRslt',
    'FinishServiceRslt', 'ServiceFinished', 'QueuingEnded', 'ServiceStopped', 'QueueInfoChanged',
    'QueueRemoved', 'SetAgentCapacityRslt', 'GetQueueStatisticsRslt', 'GetAgentsRslt',
    'Reconnecting', 'Reconnected'
  ];
  CALLBACKS.forEach(function (n) { global['CRVideo_' + n] = new CbProxy('CRVideo_' + n); });

  // ---- error constants (CloudRoom's numbers; Lineup additions marked in the docs) ----
  var CODES = {
    NOERR: 0, UNKNOWERR: 1, INNER_ERR: 3, MEETPARAM_ERR: 5, ERR_DATA: 6, ANCTPSWD_ERR: 7,
    LOGINSTATE_ERROR: 9, CRVideoSDK_USER_BEEN_KICKOUT: 10, NOT_LOGIN: 12, TOKEN_TIMEOUT: 18,
    TOKEN_AUTHINFOERR: 19, TOKEN_APPIDNOTEXIST: 20, TOKEN_AUTH_FAILED: 21, TOKEN_NOTTOKENTYPE: 22,
    NO_PERMISSION: 30, FRAME_TOO_LARGE: 31, SESSION_RECONNECTING: 32, TOO_MANY_REQUESTS: 33,
    MEDIA_DEVICE_ERR: 34, MEDIA_ERR: 35, CREATE_CONN_FAILED: 203, CONNECTIONLOST: 207,
    QUE_ID_INVALID: 400, QUE_NOUSER: 401, QUE_USER_CANCELLED: 402, QUE_SERVICE_NOT_START: 403,
    ALREADY_OTHERQUE: 404, QUE_FULL: 405, QUE_AGENT_BUSY: 406, QUE_NAME_EXISTS: 407,
    INVALID_CALLID: 600, ERR_CALL_EXIST: 601, ERR_BUSY: 602, ERR_OFFLINE: 603, ERR_NOANSWER: 604,
    ERR_USER_NOT_FOUND: 605, ERR_REFUSE: 606, MEETNOTEXIST: 800, AUTHERROR: 801
  };
  Object.keys(CODES).forEach(function (k) { global['CRVideo_' + k] = CODES[k]; });
  // CloudRoom's audio and video statuses (ASTATUS / VSTATUS).
  ['UNKNOWN', 'NULL', 'CLOSE', 'OPEN', 'OPENING'].forEach(function (s, i) {
    global['CRVideo_A' + s] = i;
    global['CRVideo_V' + s] = i;
  });
  global.CRVideo_USER_BEEN_KICKOUT = CODES.CRVideoSDK_USER_BEEN_KICKOUT;

  // ---- the functions: stand-ins that queue calls until the module is in ----
  var FUNCTIONS = [
    'Init', 'Init2', 'Uninit', 'SetServerAddr', 'Login', 'LoginByToken', 'Logout',
    'InitQueueDat', 'GetAllQueueInfo', 'GetQueueStatus', 'RefreshAllQueueStatus', 'GetQueuingInfo',
    'GetServingQueues', 'GetQueueUsers', 'StartService', 'StartService2', 'StopService',
    'AcceptAssignUser', 'RejectAssignUser', 'SetDNDStatus', 'ReqAssignUser', 'ReqAssignUser2',
    'StartQueuing', 'StartQueuing2', 'StopQueuing', 'ForwardUser', 'FinishService', 'SetAgentCapacity',
    'GetQueueStatistics', 'GetAgents',
    'CreateMeeting', 'CreateMeeting2', 'EnterMeeting', 'DestroyMeeting', 'ExitMeeting', 'Call',
    'AcceptCall', 'RejectCall', 'HungupCall', 'HangupCall', 'HoldCall', 'ResumeCall', 'GetSessionInfo', 'SendIMmsg',
    'OpenMic', 'CloseMic', 'OpenVideo', 'CloseVideo', 'GetAudioStatus', 'GetVideoStatus', 'CreatVideoObj',
    'GetAllMembers', 'GetMediaStats', 'GetAllVideoInfo', 'GetDefaultVideo', 'SetDefaultVideo', 'SetVideoCfg',
    'GetVideoCfg', 'GetMicEnergy'
  ];
  var queued = [];
  // A stand-in for function n hands each call to `take`; Init and SetServerAddr say NOERR.
  function standIn(n, take) {
    return function () {
      take(n, arguments);
      return /^(Init2?|SetServerAddr)$/.test(n) ? CODES.NOERR : undefined;
    };
  }
  FUNCTIONS.forEach(function (n) { global['CRVideo_' + n] = standIn(n, function (name, args) { queued.push([name, args]); }); });

  var loader = global.__LINEUP_CORE_LOADER__ || function () {
    return import(sdkBase + 'lineup_crvideo.js').then(function (m) {
      return m.default({ module_or_path: sdkBase + 'lineup_crvideo_bg.wasm' }).then(function () { return m; });
    });
  };
  Promise.resolve().then(function () { return loader(); }).then(function (m) {
    m.CRVideo_SetServerAddr(serverAddr);
    FUNCTIONS.forEach(function (n) { global['CRVideo_' + n] = m['CRVideo_' + n]; });
    queued.splice(0).forEach(function (c) { global['CRVideo_' + c[0]].apply(null, c[1]); });
  }).catch(function (e) {
    // The module did not load (CORS: a page of another origin needs the server started
    // with --cors-origin; or a wrong path, or no network). Logins, queued and later,
    // fail with CREATE_CONN_FAILED instead of waiting for ever.
    var page = global.location ? global.location.origin : '';
    if (global.console) {
      global.console.error('lineup: cannot load the SDK core from ' + sdkBase + ' (a page of another origin needs lineup-server --cors-origin ' + page + ')', e);
    }
    var fail = function (n, args) {
      if (n !== 'Login' && n !== 'LoginByToken') return;
      var cookie = args[n === 'Login' ? 5 : 4];
      setTimeout(function () {
        try {
          if (global.CRVideo_LoginFail.callback) global.CRVideo_LoginFail.callback(CODES.CREATE_CONN_FAILED, cookie === undefined ? '' : cookie);
        } catch (err) {
          if (global.console) global.console.error('lineup: the LoginFail callback threw', err);
        }
      }, 0);
    };
    FUNCTIONS.forEach(function (n) { global['CRVideo_' + n] = standIn(n, fail); });
    queued.splice(0).forEach(function (c) { fail(c[0], c[1]); });
  });
})(typeof window !== 'undefined' ? window : globalThis);
