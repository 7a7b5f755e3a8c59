// The customer page on the CloudRoom-style CRVideo_* functions (no build step).
function text(id, value) { document.getElementById(id).textContent = value; }

CRVideo_Init();
CRVideo_LoginSuccess.callback = function () { CRVideo_InitQueueDat(); };
CRVideo_LoginFail.callback = function (sdkErr) { text('status', 'login failed: ' + sdkErr); };
CRVideo_InitQueueDatRslt.callback = function (sdkErr) {
  if (sdkErr !== 0) return text('status', 'no queues: ' + sdkErr);
  CRVideo_StartQueuing(CRVideo_GetAllQueueInfo()[0].queID);
};
CRVideo_StartQueuingRslt.callback = function (sdkErr) { text('status', sdkErr === 0 ? 'waiting' : 'cannot queue: ' + sdkErr); };
CRVideo_QueuingInfoChanged.callback = function (info) {
  if (info.queID >= 0) text('position', String(info.position));
  if (info.queID === -2) text('status', 'an agent is serving you');
};
// A token from the backend (here the demo server's stand-in; see src/token.ts).
fetch('/api/v1/demo/token', {
  method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ UID: 'classic-' + Date.now(), nickName: 'Classic customer', roles: ['customer'] }),
}).then(function (r) { return r.json(); }).then(function (v) {
  if (v.err !== 0) return text('status', 'no token: ' + v.err + ' ' + v.msg);
  CRVideo_LoginByToken(v.token, 'Classic customer', '', '', '');
});
