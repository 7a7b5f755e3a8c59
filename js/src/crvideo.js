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
    'AutoAssignUser', 'CancelAssignUser', 'AgentStatusChanged', 'Wallboard', 'RequirementRelaxed', 'ResponseAssignUserRslt',
    'ReqAssignUserRslt',
    'SetDNDStatusSuccess', 'SetDNDStatusFail', 'UserEnter', 'UserLeave',
    'CreateMeetingSuccess', 'CreateMeetingFail', 'EnterMeetingRslt', 'UserEnterMeeting', 'UserLeftMeeting',
    'CallSuccess', 'CallFail', 'NotifyCallIn', 'NotifyCallAccepted', 'NotifyCallRejected', 'NotifyCallHungup',
    'NotifyCallHangup', 'AcceptCallSuccess', 'AcceptCallFail', 'RejectCallSuccess', 'RejectCallFail',
    'HangupCallSuccess', 'HangupCallFail', 'NotifyCallEvent',
    'MeetingDropped', 'MeetingStopped', 'StopMeetingRslt',
    'AudioStatusChanged', 'VideoStatusChanged', 'MicEnergyUpdate', 'AudioDevChanged', 'VideoDevChanged',
    'NotifyIMmsg', 'SendIMmsgRlst',
    'NotifyCallHold', 'NotifyCallResume', 'HoldCallRslt', 'ResumeCallRslt', 'ForwardUserRslt',
    'RequestCallbackRslt', 'FinishServiceRslt', 'ServiceFinished', 'QueuingEnded', 'ServiceStopped', 'QueueInfoChanged',
    'QueueRemoved', 'SetAgentCapacityRslt', 'GetQueueStatisticsRslt', 'GetAgentsRslt',
    'Reconnecting', 'Reconnected',
    // RTCSDKV2 callbacks and notices, and WebIE RecordErr / RecordStateChanged.
    'AcceptInviteFail', 'AcceptInviteSuccess', 'AddOrUpdateMeetingAttrsRslt',
    'AddOrUpdateUserAttrsRslt', 'CancelInviteFail', 'CancelInviteSuccess', 'CancelSendRslt',
    'ClearAllUserAttrsRslt', 'ClearMeetingAttrsRslt', 'ClearUserAttrsRslt', 'CloudMixerInfoChanged',
    'CloudMixerOutputInfoChanged', 'CloudMixerStateChanged', 'CreateCloudMixerFailed',
    'DefVideoChanged', 'DelMeetingAttrsRslt', 'DelUserAttrsRslt', 'DestroyMeetingRslt',
    'GetMeetingAllAttrsFail', 'GetMeetingAllAttrsSuccess', 'GetMeetingAttrsFail',
    'GetMeetingAttrsSuccess', 'GetQueueUsersRslt', 'GetUserAttrsFail', 'GetUserAttrsSuccess',
    'GetUserStatusFail', 'GetUserStatusSuccess', 'InviteFail', 'InviteSuccess', 'KickoutRslt',
    'LogoutFail', 'LogoutSuccess', 'MicDeviceChanged', 'NetStateChanged', 'NotifyAddBoardElement',
    'NotifyAudioPCMDat', 'NotifyAudioPlayFailed', 'NotifyAudioPlaying', 'NotifyAudioStream',
    'NotifyAutoPlayFailed', 'NotifyBoardBkImage', 'NotifyBoardCurPageNo', 'NotifyBufferData',
    'NotifyCameraStream', 'NotifyCancelSend', 'NotifyCaptions', 'NotifyCatchScreen',
    'NotifyCloseBoard', 'NotifyCmdData', 'NotifyCreateBoard', 'NotifyDelBoardElement',
    'NotifyFileData', 'NotifyGiveCtrlRight', 'NotifyIMMsg', 'NotifyInitBoardPageDat',
    'NotifyInitBoards', 'NotifyInviteAccepted', 'NotifyInviteCanceled', 'NotifyInviteIn',
    'NotifyInviteRejected', 'NotifyMainVideoChanged', 'NotifyMainVideoModeChanged',
    'NotifyMediaOpened', 'NotifyMediaPause', 'NotifyMediaStart', 'NotifyMediaStop',
    'NotifyMeetEnded', 'NotifyMeetingAttrsChanged', 'NotifyMeetingCustomMsg',
    'NotifyMemberMediaData', 'NotifyModifyBoardElement', 'NotifyMouseHotSpot', 'NotifyNetworkDelay',
    'NotifyNickNameChanged', 'NotifyOpenVideo', 'NotifyPacketsDownloadLostRate',
    'NotifyPacketsUploadLostRate', 'NotifyPlayPosSetted', 'NotifyReleaseCtrlRight',
    'NotifyScreenMarkStarted', 'NotifyScreenMarkStopped', 'NotifyScreenShareData',
    'NotifyScreenShareStarted', 'NotifyScreenShareStopped', 'NotifySetVoiceChange',
    'NotifyShareRectChanged', 'NotifySvrRecordFileState', 'NotifySwitchToPage',
    'NotifyUserAttrsChanged', 'NotifyUserEnter', 'NotifyUserLeave', 'NotifyUserStatus',
    'NotifyVideoStream', 'OpenMicFailed', 'OpenVideoFailed', 'OpenVideoTimeout',
    'PeerConnectionError', 'RecordErr', 'RecordStateChanged', 'RejectInviteFail',
    'RejectInviteSuccess', 'SendBufferRslt', 'SendCmdRslt', 'SendFileRslt', 'SendIMMsgRslt',
    'SendMeetingCustomMsgRslt', 'SendProgress', 'SetMeetingAttrsRslt', 'SetUserAttrsRslt',
    'SetVideoCfgRslt', 'SpkDeviceChanged', 'SpkStatusChanged', 'StartScreenMarkRslt',
    'StartScreenShareRslt', 'StartUserStatusNotifyRslt', 'StopScreenMarkRslt',
    'StopScreenShareRslt', 'StopUserStatusNotifyRslt', 'SvrMixerCfgChanged', 'SvrMixerOutputInfo',
    'SvrMixerStateChanged', 'SvrRecVideosChanged', 'SvrRecordStateChanged', 'UpdateTokenRslt',
    'VideoEncodeException'
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
    ALREADY_OTHERQUE: 404, QUE_FULL: 405, QUE_AGENT_BUSY: 406, QUE_NAME_EXISTS: 407, QUE_AGENT_NOT_READY: 408,
    INVALID_CALLID: 600, ERR_CALL_EXIST: 601, ERR_BUSY: 602, ERR_OFFLINE: 603, ERR_NOANSWER: 604,
    ERR_USER_NOT_FOUND: 605, ERR_REFUSE: 606, SCREENSHARE_EXIST: 700, MEETNOTEXIST: 800, AUTHERROR: 801,
    SEVICE_NOTENABLED: 806, SDK_RECORDSTARTED: 906, DEVICE_NOTALLOWED_ERR: 8002, DEVICE_HAVENOTAPI_ERR: 8004
  };
  Object.keys(CODES).forEach(function (k) { global['CRVideo_' + k] = CODES[k]; });
  // CloudRoom's audio and video statuses (ASTATUS / VSTATUS).
  ['UNKNOWN', 'NULL', 'CLOSE', 'OPEN', 'OPENING'].forEach(function (s, i) {
    global['CRVideo_A' + s] = i;
    global['CRVideo_V' + s] = i;
  });
  global.CRVideo_USER_BEEN_KICKOUT = CODES.CRVideoSDK_USER_BEEN_KICKOUT;
  // RTCSDKV2's constant objects. ERR_DEF has every CloudRoom number (Lineup sends those of
  // CODES); the ones Lineup never sends are also defined flat (CRVideo_SOCKETEXCEPTION…).
  var ERR_DEF = {
    NOERR: 0, UNKNOWERR: 1, OUTOF_MEM: 2, INNER_ERR: 3, MISMATCHCLIENTVER: 4, MEETPARAM_ERR: 5,
    ERR_DATA: 6, ANCTPSWD_ERR: 7, SERVER_EXCEPTION: 8, LOGINSTATE_ERROR: 9, SDK_USER_BEEN_KICKOUT: 10,
    SDK_NOT_INIT: 11, SDK_NOT_LOGIN: 12, SDK_BASE64_COV_ERR: 13, SDK_CUSTOMAUTH_NOINFO: 14,
    SDK_CUSTOMAUTH_NOTSUPPORT: 15, SDK_CUSTOMAUTH_EXCEPTION: 16, SDK_CUSTOMAUTH_FAILED: 17,
    SDK_TOKEN_TIMEOUT: 18, SDK_TOKEN_AUTHINFOERR: 19, SDK_TOKEN_APPIDNOTEXIST: 20,
    SDK_TOKEN_AUTH_FAILED: 21, SDK_TOKEN_NOTTOKENTYPE: 22, NETWORK_INITFAILED: 200, NO_SERVERINFO: 201,
    NOSERVER_RSP: 202, CREATE_CONN_FAILED: 203, SOCKETEXCEPTION: 204, SOCKETTIMEOUT: 205,
    FORCEDCLOSECONNECTION: 206, CONNECTIONLOST: 207, VOICEENG_INITFAILED: 208, SDK_SSL_ERR: 209,
    QUE_ID_INVALID: 400, QUE_NOUSER: 401, QUE_USER_CANCELLED: 402, QUE_SERVICE_NOT_START: 403,
    ALREADY_OTHERQUE: 404, INVALID_CALLID: 600, ERR_CALL_EXIST: 601, ERR_BUSY: 602, ERR_OFFLINE: 603,
    ERR_NOANSWER: 604, ERR_USER_NOT_FOUND: 605, ERR_REFUSE: 606, MEETNOTEXIST: 800, AUTHERROR: 801,
    MEMBEROVERFLOWERROR: 802, RESOURCEALLOCATEERROR: 803, MEETROOMLOCKED: 804, BALANCELESSERROR: 805,
    SEVICE_NOTENABLED: 806, ALREADYLOGIN: 807, SDK_MIC_NORIGHT: 808, SDK_MIC_BEING_USED: 809,
    SDK_MIC_UNKNOWERR: 810, SDK_SPK_NORIGHT: 811, SDK_SPK_BEING_USED: 812, SDK_SPK_UNKNOWERR: 813,
    CATCH_SCREEN_ERR: 900, RECORD_MAX: 901, RECORD_NO_DISK: 902, RECORD_SIZE_ERR: 903,
    SDK_CFG_RESTRICTED: 904, SDK_FILE_ERR: 905, SDK_RECORDSTARTED: 906, SENDFAIL: 1000,
    CONTAIN_SENSITIVEWORDS: 1001, SENDCMD_LARGE: 1100, SENDBUFFER_LARGE: 1101,
    SENDDATA_TARGETINVALID: 1102, SENDFILE_FILEINERROR: 1103, TRANSID_INVALID: 1104,
    RECORDFILE_STATE_ERR: 1200, RECORDFILE_NOT_EXIST: 1201, IPCAM_URLERR: 1300, IPCAM_ALREADYEXIST: 1301,
    IPCAM_TOOMUCH: 1302, SDK_FILE_NOT_EXIST: 1400, SDK_FILE_READ_ERR: 1401, SDK_FILE_WRITE_ERR: 1402,
    SDK_FILE_OPERATOR_ERR: 1403, WEB_OCX_NOTINSTALLED: 2001, WEB_BROWER_NOTUPPORTED: 2002,
    OCX_VERSION_NOTUPPORTED: 2003, DEVICE_UNKNOW_ERR: 8001, DEVICE_NOTALLOWED_ERR: 8002,
    DEVICE_UPDATELIST_ERR: 8003, DEVICE_HAVENOTAPI_ERR: 8004, DEVICE_LOWVER_ERR: 8006,
    DEVICE_OPEN_DEVICE_ERR: 8007
  };
  Object.keys(ERR_DEF).forEach(function (k) {
    var flat = 'CRVideo_' + k.replace(/^SDK_/, '');
    if (!(flat in global)) global[flat] = ERR_DEF[k];
  });
  global.CRVideo_MEETOFFLINE = ERR_DEF.MEETROOMLOCKED; // CloudRoom's JS v1.3 name for 804
  var ENUMS = {
    ERR_DEF: ERR_DEF,
    ASTATUS: { AUNKNOWN: 0, ANULL: 1, ACLOSE: 2, AOPEN: 3, AOPENING: 4 },
    VSTATUS: { VUNKNOWN: 0, VNULL: 1, VCLOSE: 2, VOPEN: 3, VOPENING: 4 },
    VIDEO_SHOW_SIZE: {
      VIDEO_SZ_80: 1, VSIZE_SZ_128: 2, VSIZE_SZ_160: 3, VSIZE_SZ_192: 4, VSIZE_SZ_256: 5, VSIZE_SZ_288: 6,
      VSIZE_SZ_320: 7, VSIZE_SZ_360: 8, VSIZE_SZ_400: 9, VSIZE_SZ_480: 10, VSIZE_SZ_576: 11,
      VSIZE_SZ_720: 12, VSIZE_SZ_1080: 13
    },
    VIDEO_FORMAT: { VFMT_YUV420P: 0, VFMT_ARGB32: 1 },
    REC_VCONTENT_TYPE: {
      RECVTP_VIDEO: 0, RECVTP_PIC: 1, RECVTP_SCREEN: 2, RECVTP_MEDIA: 3, RECVTP_TIMESTAMP: 4,
      RECVTP_REMOTE_SCREEN: 5
    },
    RECORD_STATE: { NO_RECORD: 0, STARTING: 1, RECORDING: 2, PAUSED: 3, STOPPING: 4 },
    RECORD_AUDIO_TYPE: { REC_AUDIO_TYPE_NULL: 0, REC_AUDIO_TYPE_LOC: 1, REC_AUDIO_TYPE_OTHER: 2, REC_AUDIO_TYPE_ALL: 3 },
    RECORD_VIDEO_TYPE: { REC_VCONTENT_NULL: 0, RECORD_VIDEO_TYPE_SCREEN: 1, REC_VCONTENT_VIDEOS: 3 },
    RECORD_VLAYOUT: { REC_VLAYOUT_GRID: 0, REC_VLAYOUT_PIP: 1 },
    ENCODE_TYPE: { ENC_H264: 1, ENC_VP8: 0 },
    // Remote control, whiteboards and transfers: Lineup implements none of them (their
    // functions answer SEVICE_NOTENABLED); the enums are here for pages that read them.
    MOUSE_MSG_TYPE: {}, MOUSE_KEY_TYPE: {}, KEY_MSG_TYPE: {}, MAIN_PAGE_TYPE: {}, VIDEOLAYOUTMODE: {},
    REC_DATATYPE: {}, HTTP_TRANSFER_RESULT: {}, HTTP_TRANSFER_STAT: {}
  };
  Object.keys(ENUMS).forEach(function (k) { global['CRVideo_' + k] = ENUMS[k]; });
  // CloudRoom's structs (its docs name them as types): constructors copying the fields given.
  var STRUCTS = [
    'QueueInfo', 'QueStatus', 'QueuingInfo', 'QueUser', 'SessionInfo', 'MeetInfoObj', 'UserStatus',
    'MemberInfo', 'UsrVideoInfo', 'VideoInfoObj', 'AudioCfg', 'VideoCfg', 'ToolBarUI'
  ];
  STRUCTS.forEach(function (n) {
    global['CRVideo_' + n] = function (fields) {
      if (!(this instanceof global['CRVideo_' + n])) return new global['CRVideo_' + n](fields);
      if (fields) Object.keys(fields).forEach(function (k) { this[k] = fields[k]; }, this);
    };
  });

  // ---- the functions: stand-ins that queue calls until the module is in ----
  var FUNCTIONS = [
    'Init', 'Init2', 'Uninit', 'SetServerAddr', 'Login', 'LoginByToken', 'Logout',
    'InitQueueDat', 'GetAllQueueInfo', 'GetQueueStatus', 'RefreshAllQueueStatus', 'GetQueuingInfo',
    'GetServingQueues', 'GetQueueUsers', 'StartService', 'StartService2', 'StopService',
    'AcceptAssignUser', 'RejectAssignUser', 'SetDNDStatus', 'ReqAssignUser', 'ReqAssignUser2',
    'StartQueuing', 'StartQueuing2', 'StopQueuing', 'ForwardUser', 'RequestCallback', 'FinishService', 'SetAgentCapacity',
    'GetQueueStatistics', 'GetAgents',
    'CreateMeeting', 'CreateMeeting2', 'EnterMeeting', 'DestroyMeeting', 'ExitMeeting', 'Call',
    'AcceptCall', 'RejectCall', 'HungupCall', 'HangupCall', 'HoldCall', 'ResumeCall', 'GetSessionInfo', 'SendIMmsg',
    'OpenMic', 'CloseMic', 'OpenVideo', 'CloseVideo', 'GetAudioStatus', 'GetVideoStatus', 'CreatVideoObj',
    'GetAllMembers', 'GetMediaStats', 'GetAllVideoInfo', 'GetDefaultVideo', 'SetDefaultVideo', 'SetVideoCfg',
    'GetVideoCfg', 'GetMicEnergy', 'StartScreenShare', 'StopScreenShare', 'CreatScreenShareObj',
    'GetScreenShareCfg', 'SetScreenShareCfg',
    'GetSDKVersion', 'SetSDKParams', 'WriteLog', 'EnterMeeting2', 'EnterMeeting3', 'StopMeeting', 'SendIMMsg',
    'GetMemberInfo', 'GetMemberNickName', 'IsUserInMeeting', 'SendCmd', 'SendMeetingCustomMsg',
    'GetAudioMicNames', 'GetAudioSpkNames', 'GetAudioCfg', 'SetAudioCfg', 'UpdateToken',
    'StartUserStatusNotify', 'StopUserStatusNotify', 'GetUserStatus', 'GetOneUserStatus',
    'CreateCloudMixer', 'DestroyCloudMixer', 'UpdateCloudMixerContent', 'GetAllCloudMixerInfo',
    'GetCloudMixerInfo', 'StartSvrMixer', 'StopSvrMixer', 'UpdateSvrMixerContent', 'GetSvrMixerState'
  ];
  // CloudRoom functions Lineup does not implement: they answer CRVideo_SEVICE_NOTENABLED
  // (806) through their own result callback, or return it (js/README lists them).
  var NOT_SUPPORTED = [
    'Invite', 'AcceptInvite', 'RejectInvite', 'CancelInvite', 'SetMeetingAttrs',
    'AddOrUpdateMeetingAttrs', 'DelMeetingAttrs', 'ClearMeetingAttrs', 'GetMeetingAllAttrs',
    'GetMeetingAttrs', 'SetUserAttrs', 'AddOrUpdateUserAttrs', 'DelUserAttrs', 'ClearUserAttrs',
    'ClearAllUserAttrs', 'GetUserAttrs', 'SendBuffer', 'SendFile', 'CancelSend', 'Kickout', 'SetNickName', 'GetAgentServiceStatus',
    'GetUserServiceStatus', 'StartScreenMark', 'StopScreenMark',
    'CreatMediaObj', 'StartPlayMedia', 'PausePlayMedia', 'StopPlayMedia',
    'SetMediaplaypos', 'SetMediaVolume', 'GetMediaInfo', 'GetMediaImg', 'GetMediaCfg',
    'SetMediaCfg', 'Creatboard', 'Closeboard', 'CreateBoardUIObj', 'GetBoardList',
    'SetBoardCurPageNo', 'SwitchToPage', 'GetCurrentMainPage', 'GetCurrentSubPage', 'AddCanvasVCam',
    'RemoveCanvasVCam', 'AddStreamCam', 'RemoveStreamVideo', 'CreateVideoContainer',
    'DisableCamera', 'DisableCameras', 'IsCameraDisabled', 'GetOpenedVideoIDs',
    'GetEnableMutiVideo', 'SetEnableMutiVideo', 'GetLocVideoAttributes', 'SetLocVideoAttributes',
    'GetVideoTrackCapabilities', 'GetVideoTrackSettings', 'SetVideoPanTiltZoom',
    'SetVirtualBackground', 'GetMainVideo', 'SetMainVideo', 'GetMainVideoMode', 'SetMainVideoMode',
    'GetWatchableVideos', 'GiveCtrlRight', 'ReleaseCtrlRight', 'OpenSpk', 'CloseSpk',
    'GetSpeakerMute',
    'SetSpeakerMute', 'PlaySpeaker', 'PauseSpeaker', 'SetAllAudioClose', 'GetAudioSubscribeMode',
    'SetAudioSubscribeMode', 'SetAudioSubscribeList', 'DisableVoiceInMeetingChannel',
    'StartGetAudioPCM', 'StopGetAudioPCM', 'GetVoiceChangeType', 'SetVoiceChange',
    'GetCaptionsSupport', 'SetMyCaptions', 'StopMyCaptions', 'EnableLog2File', 'SetApisNoLog',
    'StartLogReport', 'StopLogReport', 'UploadLog', 'UploadingLog', 'SetAdapter'
  ];
  var queued = [];
  var loaded;
  // CRVideo_Init's answer for both generations: a Promise of 0 (RTCSDKV2:
  // `CRVideo_Init().then(…)`) that compares equal to 0 (WebIE: `if (CRVideo_Init() == 0)`).
  // It resolves even when the module cannot load, so that the page goes on to log in
  // and hears why through LoginFail.
  function initAnswer() {
    var ok = function () { return CODES.NOERR; };
    var p = loaded.then(ok, ok);
    p.valueOf = ok;
    return p;
  }
  // A stand-in for function n hands each call to `take`; Init answers as above,
  // SetServerAddr says NOERR.
  function standIn(n, take) {
    return function () {
      take(n, arguments);
      if (/^Init2?$/.test(n)) return initAnswer();
      return n === 'SetServerAddr' ? CODES.NOERR : undefined;
    };
  }
  FUNCTIONS.concat(NOT_SUPPORTED).forEach(function (n) {
    global['CRVideo_' + n] = standIn(n, function (name, args) { queued.push([name, args]); });
  });

  var loader = global.__LINEUP_CORE_LOADER__ || function () {
    return import(sdkBase + 'lineup_crvideo.js').then(function (m) {
      return m.default({ module_or_path: sdkBase + 'lineup_crvideo_bg.wasm' }).then(function () { return m; });
    });
  };
  loaded = Promise.resolve().then(function () { return loader(); }).then(function (m) {
    m.CRVideo_SetServerAddr(serverAddr);
    FUNCTIONS.forEach(function (n) { global['CRVideo_' + n] = m['CRVideo_' + n]; });
    NOT_SUPPORTED.forEach(function (n) {
      global['CRVideo_' + n] = function () { return m.lineupNotSupported(n, Array.prototype.slice.call(arguments)); };
    });
    queued.splice(0).forEach(function (c) { global['CRVideo_' + c[0]].apply(null, c[1]); });
  });
  loaded.catch(function (e) {
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
    FUNCTIONS.concat(NOT_SUPPORTED).forEach(function (n) { global['CRVideo_' + n] = standIn(n, fail); });
    queued.splice(0).forEach(function (c) { fail(c[0], c[1]); });
  });
})(typeof window !== 'undefined' ? window : globalThis);
