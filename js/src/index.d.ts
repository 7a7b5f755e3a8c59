// Types of the Lineup modern API. The wire types (field names are CloudRoom's) are
// generated from the Rust protocol crate into protocol.d.ts (`cargo xtask types`);
// this file adds the client's own surface.
import type {
  QueueInfo, QueStatus, QueuingInfo, QueUser, SessionInfo, LoginData, QueueStatistics, AgentInfo,
  QueueUsersData, MeetInfo, CallEvent, Notice, NoticeName, NoticeData,
} from './protocol';

export type {
  QueueInfo, QueStatus, QueuingInfo, QueUser, SessionInfo, QueueStatistics, AgentInfo, MeetInfo, CallEvent,
  ServedQueue, ServedCustomer, Notice, NoticeName, NoticeData,
} from './protocol';

/** The Login reply: who this session is and the server's timing. */
export type LoginInfo = LoginData;
/** One page of a queue's customers. */
export type QueueUsers = QueueUsersData;
/** Why an offer was withdrawn (CancelAssignUser). */
export type CancelReason = NoticeData<'CancelAssignUser'>['reason'];

/** Events and their payloads: every server notice (as generated from the protocol),
 * plus the connection's own. */
export type LineupEvents = { [N in NoticeName]: NoticeData<N> } & {
  NotifyTokenWillExpire: undefined;
  Reconnecting: { code: number };
  Reconnected: undefined;
};

/** An error with CloudRoom's numeric code. */
export class LineupError extends Error {
  readonly code: number;
  readonly sdkErr: number;
  constructor(code: number, message: string);
}

export interface ConnectOptions {
  /** lineup-server base URL, or several (nodes of one cluster: login on the first that
   * answers, resume on any); defaults to the page's origin. */
  server?: string | string[];
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
  constructor(server?: string | string[]);
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
