// Lineup demo apps: Chinese and English labels, and what each error code means.
// Elements with data-i18n="key" get their text from here; the switch is remembered.
const LABELS = {
  en: {
    lang: '中文', appsTitle: 'Lineup demo', customerTitle: 'Customer', agentTitle: 'Agent console', supervisorTitle: 'Supervisor',
    login: 'Log in', logout: 'Log out', userId: 'User ID', nickName: 'Name', chooseQueue: 'Choose a queue', waiting: 'waiting',
    estWait: 'est. wait', estWaitLeft: 'Estimated wait', anyMoment: 'any moment', details: 'Details for the agent (optional)', join: 'Join the queue', leave: 'Leave the queue',
    callbackTitle: 'Rather not wait on this page?', callbackNumber: 'Call me back at (phone number; empty: on this page)', callbackAsk: 'Call me back',
    callbackAt: 'We will call you back at {number}. You can close this page; your place is kept.', callbackHere: 'An agent will call you on this page. Your place is kept if it closes.',
    language: 'Language', anyLanguage: 'Any', relaxedLower: 'Widening the search: agents with a little less experience in what you need can take you now.',
    relaxedAny: 'Widening the search: the next free agent of this queue will take you.',
    position: 'Customers ahead of you', waitedFor: 'Waiting for', youAreNext: 'You are next', served: 'An agent has taken you',
    incomingCall: 'The agent is calling you', accept: 'Accept', decline: 'Decline', inCall: 'In conversation', hangUp: 'Hang up',
    callEnded: 'The conversation ended', reconnecting: 'Connection lost, reconnecting… your place is kept', queues: 'Queues', serve: 'Serve', priority: 'Priority', mode: 'Mode', auto: 'Automatic',
    manual: 'Manual (DND)', nextCustomer: 'Next customer', waitingCustomers: 'Waiting customers', offer: 'Offer', reject: 'Reject',
    callbackTo: 'Callback: call {number}', callbackInPage: 'Callback: call on its page',
    secondsLeft: 's left', customer: 'Customer', call: 'Call the customer', finish: 'Finish service', forward: 'Forward to',
    callEvents: 'Call events', myStats: 'My work', servedCount: 'served', talkTime: 'talk time', agents: 'Agents', state: 'State',
    current: 'Current customer', liveEvents: 'Live events', wait: 'Wait', longest: 'Longest', avail: 'Available', busy: 'Busy',
    servedTotal: 'Served', servedToday: 'Served today', abandoned: 'Abandoned', sl: 'Service level', waitingChart: 'Waiting customers', slChart: 'Service level',
    online: 'online', offline: 'offline', dnd: 'DND', wrapUp: 'wrap-up', idle: 'idle', notQueuing: 'Not queuing', none: 'none',
    offerWithdrawn: 'Offer withdrawn',
    timeout: 'not answered in time', customer_left: 'the customer left', customer_offline: 'the customer went offline',
    agent_offline: 'you went offline', service_stopped: 'you stopped serving the queue', capacity_lowered: 'your capacity was lowered',
    forwarded: 'the customer was forwarded', callNote: 'The agent says',
    noCallEvents: 'No call events yet', noEvents: 'No events yet',
    agentCalling: 'Agent {name} is calling you', inCallWith: 'In conversation with {name}',
    noDemo: 'this server did not create the demo app, so it gives no demo tokens',
    mic: 'Mic', camera: 'Camera', mediaOn: 'on', mediaOff: 'off', mediaOpening: 'opening…', mediaNone: 'unavailable',
    shareScreen: 'Share screen', stopSharing: 'Stop sharing', screenOf: '{name} is sharing the screen',
    youShare: 'You are sharing your screen', shareFailed: 'The screen was not shared',
    noVideo: 'No video', micUnavailable: 'No microphone (not found or not allowed); the call goes on',
    camUnavailable: 'No camera (not found or not allowed); the call goes on',
    mediaLost: 'Audio and video were lost; turn them on again', mediaUnavailable: 'No audio or video',
    listen: 'Listen', whisper: 'Whisper', barge: 'Barge', stopMonitor: 'Stop', monitoringTitle: 'Monitoring {name} · {mode}',
    modeMonitor: 'listening only', modeWhisper: 'whispering to the agent', modeBarge: 'in the call',
    monitorLost: 'The call\'s audio and video were lost; choose Listen, Whisper or Barge again',
    monitorEnded: 'Monitoring {name} ended: the call is over',
    queue: 'Queue', agent: 'Agent', needed: 'Needed',
    myStatus: 'My status', available: 'Available', notReady: 'Not ready', loggedOut: 'logged out', noAnswer: 'No answer',
    pausedNoAnswer: 'Paused: {n} offers in a row were not answered. Choose Available to get customers again.',
  },
  zh: {
    lang: 'English', appsTitle: 'Lineup 演示', customerTitle: '客户', agentTitle: '坐席工作台', supervisorTitle: '班长监控',
    login: '登录', logout: '退出', userId: '用户 ID', nickName: '昵称', chooseQueue: '选择队列', waiting: '人排队',
    estWait: '预计等待', estWaitLeft: '预计还需等待', anyMoment: '马上', details: '给坐席的说明（可选）', join: '开始排队', leave: '停止排队',
    callbackTitle: '不想在页面上等？', callbackNumber: '回拨号码（留空：在本页回拨）', callbackAsk: '请回拨我',
    callbackAt: '我们会回拨 {number}。您可以关闭本页，排队位置会保留。', callbackHere: '坐席会在本页呼叫您。页面关闭后排队位置仍保留。',
    language: '语言', anyLanguage: '不限', relaxedLower: '正在扩大范围：经验稍少的坐席现在也可以接待您。',
    relaxedAny: '正在扩大范围：本队列的下一位空闲坐席将接待您。',
    position: '您前面的人数', waitedFor: '已等待', youAreNext: '下一个就是您', served: '坐席已接待您',
    incomingCall: '坐席正在呼叫您', accept: '接听', decline: '拒绝', inCall: '通话中', hangUp: '挂断',
    callEnded: '通话已结束', reconnecting: '连接已断开，正在重连……您的排队位置会保留', queues: '队列', serve: '服务', priority: '优先级', mode: '模式', auto: '自动分配',
    manual: '手动（免打扰）', nextCustomer: '请求下一位客户', waitingCustomers: '排队客户', offer: '系统分配', reject: '拒绝',
    callbackTo: '回拨：请拨打 {number}', callbackInPage: '回拨：在客户页面呼叫',
    secondsLeft: '秒', customer: '客户', call: '呼叫客户', finish: '结束服务', forward: '转到队列',
    callEvents: '通话事件', myStats: '我的工作', servedCount: '已服务', talkTime: '通话时长', agents: '坐席', state: '状态',
    current: '当前客户', liveEvents: '实时事件', wait: '排队', longest: '最长等待', avail: '空闲', busy: '忙碌',
    servedTotal: '已服务', servedToday: '今日已服务', abandoned: '放弃', sl: '服务水平', waitingChart: '排队人数', slChart: '服务水平',
    online: '在线', offline: '离线', dnd: '免打扰', wrapUp: '整理', idle: '空闲', notQueuing: '未排队', none: '无',
    offerWithdrawn: '分配已撤回',
    timeout: '超时未应答', customer_left: '客户已离开', customer_offline: '客户已离线',
    agent_offline: '您已离线', service_stopped: '您已停止服务该队列', capacity_lowered: '服务上限已降低',
    forwarded: '客户已被转移', callNote: '坐席留言',
    noCallEvents: '暂无通话事件', noEvents: '暂无事件',
    agentCalling: '坐席 {name} 正在呼叫您', inCallWith: '正在与 {name} 通话',
    noDemo: '此服务器没有创建演示应用，不发放演示令牌',
    mic: '麦克风', camera: '摄像头', mediaOn: '开', mediaOff: '关', mediaOpening: '正在打开…', mediaNone: '不可用',
    shareScreen: '共享屏幕', stopSharing: '停止共享', screenOf: '{name} 正在共享屏幕',
    youShare: '你正在共享屏幕', shareFailed: '屏幕未能共享',
    noVideo: '无视频', micUnavailable: '没有麦克风（未找到或未授权），通话继续',
    camUnavailable: '没有摄像头（未找到或未授权），通话继续',
    mediaLost: '音视频已中断，请重新打开', mediaUnavailable: '没有音视频',
    listen: '监听', whisper: '耳语', barge: '强插', stopMonitor: '停止', monitoringTitle: '正在监控 {name} · {mode}',
    modeMonitor: '仅监听', modeWhisper: '只对坐席说话', modeBarge: '加入通话',
    monitorLost: '通话的音视频已中断，请重新选择监听、耳语或强插',
    monitorEnded: '对 {name} 的监控已结束：通话已结束',
    queue: '队列', agent: '坐席', needed: '需要',
    myStatus: '我的状态', available: '就绪', notReady: '未就绪', loggedOut: '未签入', noAnswer: '未应答',
    pausedNoAnswer: '已暂停：连续 {n} 次分配未应答。选择“就绪”以重新接收客户。',
  },
};

const ERRORS = {
  en: {
    5: 'a value is out of range', 7: 'wrong app ID or secret', 10: 'you logged in elsewhere', 12: 'not logged in',
    18: 'login expired', 30: 'not permitted', 34: 'the device is not available or not allowed', 35: 'audio/video failed',
    207: 'connection lost', 400: 'no such queue', 401: 'nobody waiting / not queuing',
    402: 'the customer is no longer offered to you', 403: 'you do not serve that queue', 404: 'already queuing; leave first',
    405: 'the queue is full', 406: 'you are at your capacity', 600: 'no such call', 601: 'already in a call',
    602: 'the user is busy', 603: 'the user is offline', 604: 'no answer', 605: 'the user is not logged in',
    606: 'the call was refused', 700: 'someone else is sharing a screen', 800: 'no such room', 801: 'wrong room password',
    8002: 'sharing the screen was not allowed', 8004: 'this browser cannot share a screen',
  },
  zh: {
    5: '参数超出范围', 7: '应用 ID 或密钥错误', 10: '您已在别处登录', 12: '未登录', 18: '登录已过期', 30: '没有权限', 34: '设备不可用或未授权', 35: '音视频出错',
    207: '连接已断开', 400: '队列不存在', 401: '没有排队的客户 / 未在排队', 402: '该客户已不再分配给您', 403: '您没有服务该队列',
    404: '已在排队，请先停止排队', 405: '队列已满', 406: '已达到服务上限', 600: '通话不存在', 601: '已在通话中', 602: '对方忙',
    603: '对方离线', 604: '无人接听', 605: '对方未登录', 606: '对方拒绝', 700: '房间里已有人在共享屏幕', 800: '房间不存在', 801: '房间密码错误',
    8002: '未允许共享屏幕', 8004: '此浏览器不能共享屏幕',
  },
};

export let lang = localStorage.getItem('lineup.lang') || (navigator.language.startsWith('zh') ? 'zh' : 'en');

/** The label `key`; `{name}`-style placeholders are filled from `vars` (as plain text). */
export function t(key, vars) {
  const s = (LABELS[lang] && LABELS[lang][key]) || LABELS.en[key] || key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
}

/** "sdkErr 404: already queuing; leave first" in the page's language. */
export function errorText(code, fallback) {
  const meaning = (ERRORS[lang] && ERRORS[lang][code]) || fallback || '';
  return `${lang === 'zh' ? '错误' : 'Error'} ${code}${meaning ? ': ' + meaning : ''}`;
}

export function applyLabels(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

/** Wires a language switch button. */
export function langSwitch(button, onChange) {
  button.addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('lineup.lang', lang);
    applyLabels();
    if (onChange) onChange();
  });
}

export function fmtSeconds(s) {
  s = Math.max(0, Math.floor(s));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** An agent's state in words: the state, and its reason when not ready (1 manual mode,
 * 1000 paused after missed offers, else the app's label, which is shown as text). */
export function agentStateText(state, code, label) {
  const names = { idle: 'idle', busy: 'busy', wrap_up: 'wrapUp', offline: 'offline', logged_out: 'loggedOut', not_ready: 'notReady' };
  if (state !== 'not_ready') return t(names[state] || 'idle');
  const reason = code === 1 ? t('manual') : code === 1000 ? t('noAnswer') : label;
  return reason ? `${t('notReady')}: ${reason}` : t('notReady');
}
