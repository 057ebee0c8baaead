import { RemoteUsers, type RoomEvent } from './roomstate.js';
import { type Message, type SocketFactory } from './signal.js';
import { type EnterParams } from './validate.js';
import type { ConnectionState, KickReason } from './events.js';
import type { Role } from './types.js';
export declare const SDK_VERSION = "0.1.0";
/** Server codes the room logic reacts to. */
export declare const CODE_USER_NOT_FOUND = -102007;
export declare const CODE_SERVER_OVERLOADED = -100021;
export declare const CODE_KICKED_BY_NEWER = 6100;
export interface RoomHooks {
    roomEvents(events: RoomEvent[]): void;
    kicked(reason: KickReason, message: string): void;
    /** sub_offer, candidate, custom_msg and future events. */
    event(m: Message): void;
    state(prev: ConnectionState, next: ConnectionState): void;
    /** The session is back: resumed (media kept) or entered afresh. */
    recovered(resumed: boolean): void;
    /** Reconnection was given up: the session is over. */
    failed(reason: string): void;
    warning(code: number, msg: string): void;
}
export interface RoomTimings {
    connectTimeoutMs: number;
    requestTimeoutMs: number;
    heartbeatMs: number;
    timeoutMs: number;
    /** Give up reconnecting after this long without a connection. */
    maxReconnectMs: number;
    /** How long a user missing after a re-enter may take to come back (default AWAY_GRACE_MS). */
    awayGraceMs?: number;
}
export declare const DEFAULT_TIMINGS: RoomTimings;
export declare class RoomSession {
    readonly params: EnterParams;
    private url;
    private factory;
    private hooks;
    private t;
    readonly users: RemoteUsers;
    role: Role;
    private phase;
    private signal;
    private sessionId;
    private resumeToken;
    private connState;
    private retryTimer;
    private lostAt;
    private backoff;
    private attempt;
    private bytes;
    /** Index of the last custom message received: resume asks for what came after. */
    lastMsgIndex: number | null;
    /** The room owner's signaling URL after a redirect (redirect.ts). */
    private target;
    /** Redirects answering the reconnect's enters in a row. */
    private redirects;
    /** The pending exit of each away user (roomstate.ts). */
    private awayTimers;
    constructor(params: EnterParams, url: string, factory: SocketFactory, hooks: RoomHooks, t?: RoomTimings);
    get inRoom(): boolean;
    get connected(): boolean;
    get connectionState(): ConnectionState;
    signalBytes(): {
        sent: number;
        received: number;
    };
    private setState;
    /** The enter of these params; retry marks an enter again after the session timed out while reconnecting (webhook 103 reason 3). */
    private enterRequest;
    private newSignal;
    /**
     * Connects and enters. Resolves with the enter response's code: 0 on
     * success, else the server's (or a synthesized timeout/connection) code
     * and message; the session is then over.
     */
    enter(): Promise<{
        code: number;
        msg: string;
    }>;
    private apply;
    /** A request on the current connection (CODE_DISCONNECTED while reconnecting). */
    request(type: string, data: unknown, timeoutMs?: number): Promise<Message>;
    send(type: string, data: unknown): boolean;
    private onEvent;
    /** Passes room events on, starting and ending the grace of away users. */
    private report;
    private startAway;
    private stopAway;
    /** Checks the connection now (network change, tab shown again). */
    checkAlive(): void;
    private onLost;
    private keepBytes;
    private scheduleRetry;
    /** Retries at once (the network came back), keeping the back-off. */
    retryNow(): void;
    private retry;
    /** Sets the role after a successful switch_role. */
    setRole(r: Role): void;
    /** Tells the server we leave (bounded wait), then closes. */
    exit(): Promise<void>;
    private end;
    /** Ends the session without telling the server (destroy, kicked). */
    close(): void;
}
