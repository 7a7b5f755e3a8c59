// Types of the Lineup modern API. Field names are CloudRoom's.

/** CloudRoom QueueInfo. */
export interface QueueInfo { queID: number; name: string; desc: string; /** 1–10, smaller is higher */ prio: number; }
/** CloudRoom QueStatus. */
export interface QueStatus { queID: number; agent_num: number; wait_num: number; srv_num: number; }
/** CloudRoom QueuingInfo: queID -1 not queuing, -2 being served; position 0 is next. */
export interface QueuingInfo { queID: number; position: number; /** seconds */ queuingTime: number; }
/** CloudRoom QueUser: a customer as an agent sees it. */
export interface QueUser { queID: number; usrID: string; name: string; /** seconds */ queuingTime: number; usrExtDat: string; }
/** CloudRoom SessionInfo. */
export interface SessionInfo {
  callID: string; peerID: string; peerName: string; bCallAccepted: 0 | 1;
  meetingID: number; meetingPswd: string; duration: number;
}
export interface LoginInfo {
  session: string; UID: string; nickName: string; appID: string;
  roles: Array<'agent' | 'customer' | 'supervisor'>; resumed: boolean;
  holdSeconds: number; heartbeatSeconds: number; offerTimeoutSeconds: number;
}
export interface QueueStatistics {
  queID: number; entered: number; served: number; abandoned: number; timedOut: number; forwarded: number;
  avgWaitSeconds: number; maxWaitSeconds: number; longestWaitingSeconds: number;
  serviceLevel: number; serviceLevelSeconds: number; waiting: number; inService: number;
  agentsLoggedIn: number; agentsAvailable: number; agentsBusy: number;
}
export interface AgentInfo {
  UID: string; nickName: string; online: boolean; DNDStatus: 0 | 1; capacity: number;
  serving: Array<{ queID: number; priority: number }>;
  customers: Array<{ queID: number; usrID: string }>;
  pendingOffers: number; wrapUpUntil?: number; servedTotal: number; serviceSecondsTotal: number;
}
export interface QueueUsers { queID: number; total: number; users: QueUser[]; }
export type CancelReason = 'timeout' | 'customer_left' | 'customer_offline' | 'agent_offline' | 'service_stopped' | 'capacity_lowered' | 'forwarded';

/** Events and their payloads. */
export interface LineupEvents {
  QueueStatusChanged: QueStatus;
  QueuingInfoChanged: QueuingInfo;
  AutoAssignUser: QueUser;
  CancelAssignUser: { queID: number; usrID: string; reason: CancelReason };
  UserEnter: { queID: number; user: QueUser };
  UserLeave: { queID: number; usrID: string; inService: 0 | 1 };
  ServiceFinished: { queID: number; agentID: string; usrID: string; reason: 'finished' | 'customer_left' | 'agent_left' | 'call_ended' };
  QueuingEnded: { queID: number; reason: 'timeout' | 'cancel' };
  ServiceStopped: { queID: number };
  QueueInfoChanged: QueueInfo;
  QueueRemoved: { queID: number };
  LineOff: { sdkErr: number };
  NotifyTokenWillExpire: undefined;
  Reconnecting: { code: number };
  Reconnected: undefined;
  NotifyCallIn: { callID: string; meetObj: MeetInfo; callerID: string; usrExtDat: string };
  NotifyCallAccepted: { callID: string; meetObj: MeetInfo; usrExtDat: string };
  /** sdkErr 606 refused, 604 no answer */
  NotifyCallRejected: { callID: string; sdkErr: number; usrExtDat: string };
  NotifyCallHungup: { callID: string; usrExtDat: string };
  NotifyCallHold: { callID: string };
  NotifyCallResume: { callID: string };
  UserEnterMeeting: { meetID: number; UID: string; nickName: string };
  UserLeftMeeting: { meetID: number; UID: string; nickName: string };
  /** The room this session is in was destroyed by its creator. */
  MeetingStopped: { meetID: number };
  NotifyCallEvent: CallEvent;
}

/** CloudRoom MeetInfoObj. */
export interface MeetInfo { ID: number; pswd: string; subject: string; creator: string; memberCount: number; /** Unix seconds */ startTime: number; }

/** A call event with asterCC's fields (seed 004). */
export interface CallEvent {
  source: 'AGENT' | 'CALLER' | 'CALLEE' | 'CONVERSATION';
  event: 'incoming' | 'ringing' | 'answer' | 'hangup' | 'onhold' | 'resume' | 'join';
  /** one per conversation (the call id) */
  sessionid: string;
  /** strictly increasing per app: drop events older than the newest seen */
  eventid: number;
  /** "YYYY-MM-DD HH:MM:SS" UTC */
  eventTime: string;
  calleridnum: string;
  activenum: string;
  from: 'dialout' | 'dialin';
  queID?: number;
  agentID?: string;
  /** the same event as asterCC's urlencoded message string */
  message: string;
}

/** An error with CloudRoom's numeric code. */
export class LineupError extends Error {
  readonly code: number;
  readonly sdkErr: number;
  constructor(code: number, message: string);
}

export interface ConnectOptions {
  /** lineup-server base URL; defaults to the page's origin. */
  server?: string;
  appID?: string;
  /** lower-case hex MD5 of the app secret */
  md5AppSecret?: string;
  /** a token minted by your backend (instead of appID + md5AppSecret) */
  token?: string;
  userID?: string;
  nickName?: string;
  /** where lineup_sdk_bg.wasm is served, if not next to the module */
  wasmUrl?: string | URL;
}

export declare function load(wasmUrl?: string | URL): Promise<unknown>;
export declare function connect(options: ConnectOptions): Promise<Client>;
export declare function errorCodes(): Promise<Array<{ code: number; name: string; meaning: string }>>;

export declare class Client {
  constructor(server?: string);
  on<K extends keyof LineupEvents>(name: K, fn: (data: LineupEvents[K], name: K) => void): () => void;
  on(name: '*', fn: (data: unknown, name: keyof LineupEvents) => void): () => void;
  login(options: ConnectOptions): Promise<LoginInfo>;
  logout(): Promise<void>;
  close(): Promise<void>;
  initQueueDat(): Promise<{ queues: QueueInfo[]; statuses: QueStatus[] }>;
  refreshAllQueueStatus(): Promise<{ statuses: QueStatus[] }>;
  getQueueStatus(queID: number): Promise<QueStatus>;
  getQueueUsers(queID: number, page?: { offset?: number; limit?: number }): Promise<QueueUsers>;
  getQueueStatistics(queID: number): Promise<QueueStatistics>;
  getAgents(): Promise<AgentInfo[]>;
  startService(queID: number, priority?: number): Promise<void>;
  stopService(queID: number): Promise<void>;
  startQueuing(queID: number, usrExtDat?: string): Promise<void>;
  stopQueuing(): Promise<void>;
  acceptAssignUser(queID: number, usrID: string): Promise<void>;
  rejectAssignUser(queID: number, usrID: string): Promise<void>;
  setDNDStatus(on: boolean): Promise<void>;
  reqAssignUser(): Promise<QueUser>;
  reqAssignUser2(queID: number, usrID: string): Promise<QueUser>;
  finishService(queID: number, usrID: string): Promise<void>;
  setAgentCapacity(capacity: number): Promise<void>;
  ping(): Promise<{ time: number }>;
  forwardUser(queID: number, usrID: string, toQueID: number): Promise<void>;
  createMeeting(subject?: string, pswd?: string): Promise<MeetInfo>;
  enterMeeting(meetID: number, pswd?: string): Promise<MeetInfo>;
  exitMeeting(meetID: number): Promise<void>;
  /** Ends a room this session created, for everyone. */
  destroyMeeting(meetID: number): Promise<void>;
  /** resolves with the callID */
  call(UID: string, meetID: number, usrExtDat?: string): Promise<string>;
  acceptCall(callID: string, usrExtDat?: string): Promise<void>;
  rejectCall(callID: string, usrExtDat?: string): Promise<void>;
  hangupCall(callID: string, usrExtDat?: string): Promise<void>;
  holdCall(callID: string): Promise<void>;
  resumeCall(callID: string): Promise<void>;
  getSessionInfo(): Promise<SessionInfo>;
  readonly sessionInfo: SessionInfo;
  readonly queues: QueueInfo[];
  queueStatus(queID: number): QueStatus | undefined;
  readonly queueStatuses: QueStatus[];
  readonly queuingInfo: QueuingInfo;
  readonly servingQueues: number[];
  readonly user: LoginInfo | undefined;
  readonly state: 'idle' | 'connecting' | 'online' | 'reconnecting';
  dropConnection(): void;
}
