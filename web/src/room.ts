// One enterRoom…exitRoom span on the signaling side: entering, the room's
// events, and keeping the session through connection losses. A lost
// socket is resumed with the session's resume token (back-off 100 ms
// doubling to 2 s); a session the server has dropped (−102007) is entered
// again with the same parameters. docs/protocol.md "Heartbeats, loss and
// resume". After such a re-enter, users missing from the room are away for
// AWAY_GRACE_MS before their exit is reported (roomstate.ts); a redirect
// answering it is followed at once, up to MAX_REDIRECTS in a row.
import { AWAY_GRACE_MS, RemoteUsers, type RoomEvent, type WireUser } from './roomstate.js';
import { CODE_DISCONNECTED, CODE_TIMEOUT, Signal, type Message, type SocketFactory } from './signal.js';
import { ROLE_CODE, SCENE_CODE, type EnterParams } from './validate.js';
import { CODE_REDIRECT, MAX_REDIRECTS, redirectURL } from './redirect.js';
import type { ConnectionState, KickReason } from './events.js';
import type { Role } from './types.js';

export const SDK_VERSION = '0.1.0';

/** Server codes the room logic reacts to. */
export const CODE_USER_NOT_FOUND = -102007;
export const CODE_SERVER_OVERLOADED = -100021;
export const CODE_KICKED_BY_NEWER = 6100;

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

export const DEFAULT_TIMINGS: RoomTimings = {
  connectTimeoutMs: 5000,
  requestTimeoutMs: 5000,
  heartbeatMs: 2000,
  timeoutMs: 10000,
  maxReconnectMs: 120000,
  awayGraceMs: AWAY_GRACE_MS,
};

type Phase = 'entering' | 'in' | 'reconnecting' | 'ended';

export class RoomSession {
  readonly users = new RemoteUsers();
  role: Role;
  private phase: Phase = 'entering';
  private signal: Signal | null = null;
  private sessionId = '';
  private resumeToken = '';
  private connState: ConnectionState = 'DISCONNECTED';
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private lostAt = 0;
  private backoff = 100;
  private attempt = 0;
  private bytes = { sent: 0, received: 0 };
  /** Index of the last custom message received: resume asks for what came after. */
  lastMsgIndex: number | null = null;
  /** The room owner's signaling URL after a redirect (redirect.ts). */
  private target: string | null = null;
  /** Redirects answering the reconnect's enters in a row. */
  private redirects = 0;
  /** The pending exit of each away user (roomstate.ts). */
  private awayTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    readonly params: EnterParams,
    private url: string,
    private factory: SocketFactory,
    private hooks: RoomHooks,
    private t: RoomTimings = DEFAULT_TIMINGS,
  ) {
    this.role = params.role;
  }

  get inRoom(): boolean {
    return this.phase === 'in' || this.phase === 'reconnecting';
  }

  get connected(): boolean {
    return this.phase === 'in';
  }

  get connectionState(): ConnectionState {
    return this.connState;
  }

  signalBytes(): { sent: number; received: number } {
    return {
      sent: this.bytes.sent + (this.signal?.bytesSent ?? 0),
      received: this.bytes.received + (this.signal?.bytesReceived ?? 0),
    };
  }

  private setState(next: ConnectionState): void {
    if (next === this.connState) return;
    const prev = this.connState;
    this.connState = next;
    this.hooks.state(prev, next);
  }

  /** The enter of these params; retry marks an enter again after the session timed out while reconnecting (webhook 103 reason 3). */
  private enterRequest(retry = false): unknown {
    const p = this.params;
    return {
      sdkAppId: p.sdkAppId,
      userId: p.userId,
      userSig: p.userSig,
      roomId: p.roomId || undefined,
      strRoomId: p.roomId ? undefined : p.strRoomId,
      role: ROLE_CODE[this.role],
      scene: SCENE_CODE[p.scene],
      privateMapKey: p.privateMapKey || undefined,
      streamId: p.streamId || undefined,
      userDefineRecordId: p.userDefineRecordId || undefined,
      businessInfo: p.businessInfo || undefined,
      terminal: {
        terminalType: 100,
        userType: 1,
        sdkVersion: `rtcengine-web/${SDK_VERSION}`,
        device: typeof navigator !== 'undefined' ? navigator.userAgent.slice(0, 128) : 'unknown',
      },
      autoRecvAudio: p.autoReceiveAudio,
      autoRecvVideo: p.autoReceiveVideo,
      retry: retry || undefined,
    };
  }

  private newSignal(): Signal {
    const s: Signal = new Signal(this.factory, {
      heartbeatMs: this.t.heartbeatMs,
      timeoutMs: this.t.timeoutMs,
      onEvent: (m) => {
        if (this.signal === s) this.onEvent(m);
      },
      onLost: (reason) => {
        if (this.signal === s) this.onLost(reason);
      },
    });
    return s;
  }

  /**
   * Connects and enters. Resolves with the enter response's code: 0 on
   * success, else the server's (or a synthesized timeout/connection) code
   * and message; the session is then over.
   */
  async enter(): Promise<{ code: number; msg: string }> {
    this.setState('CONNECTING');
    let m: Message;
    for (let hops = 0; ; hops++) {
      const s = this.newSignal();
      this.signal = s;
      try {
        await s.open(this.target ?? this.url, this.t.connectTimeoutMs);
      } catch (e) {
        this.close();
        return { code: CODE_TIMEOUT, msg: (e as Error).message };
      }
      if (this.phase === 'ended') {
        s.close();
        return { code: CODE_DISCONNECTED, msg: 'exitRoom was called while entering' };
      }
      m = await s.request('enter', this.enterRequest(), this.t.requestTimeoutMs);
      if ((this.phase as Phase) === 'ended') return { code: CODE_DISCONNECTED, msg: 'exitRoom was called while entering' };
      if (m.code !== CODE_REDIRECT) break;
      // Another node owns the room: enter there (redirect.ts).
      const to = redirectURL(m.data);
      this.keepBytes();
      this.signal = null;
      s.close();
      if (!to || hops >= MAX_REDIRECTS) {
        this.close();
        return { code: m.code, msg: 'the server redirected the enter too often or to a bad URL' };
      }
      this.target = to;
    }
    if (m.code) {
      this.close();
      return { code: m.code, msg: m.msg ?? '' };
    }
    this.phase = 'in';
    this.apply(m.data);
    this.setState('CONNECTED');
    this.report(this.users.snapshot(Array.isArray(m.data?.users) ? (m.data.users as WireUser[]) : []));
    return { code: 0, msg: '' };
  }

  private apply(data: any): void {
    if (!data || typeof data !== 'object') return;
    if (typeof data.sessionId === 'string') this.sessionId = data.sessionId;
    if (typeof data.resumeToken === 'string') this.resumeToken = data.resumeToken;
    if (data.role === 21) this.role = 'audience';
    else if (data.role === 20) this.role = 'anchor';
    const hb = typeof data.heartbeatMs === 'number' ? data.heartbeatMs : 0;
    const to = typeof data.timeoutMs === 'number' ? data.timeoutMs : 0;
    if (hb > 0) this.t = { ...this.t, heartbeatMs: hb };
    if (to > 0) this.t = { ...this.t, timeoutMs: to };
    this.signal?.setHeartbeat(hb, to);
  }

  /** A request on the current connection (CODE_DISCONNECTED while reconnecting). */
  request(type: string, data: unknown, timeoutMs = this.t.requestTimeoutMs): Promise<Message> {
    if (!this.signal || this.phase !== 'in') {
      return Promise.resolve({ type: 'response', code: CODE_DISCONNECTED, msg: 'not connected' });
    }
    return this.signal.request(type, data, timeoutMs);
  }

  send(type: string, data: unknown): boolean {
    if (!this.signal || this.phase !== 'in') return false;
    return this.signal.send(type, data);
  }

  private onEvent(m: Message): void {
    if (this.phase === 'ended') return;
    const d = m.data && typeof m.data === 'object' ? m.data : {};
    switch (m.type) {
      case 'user_enter':
        if (typeof d.userId === 'string') this.report(this.users.enter(d.userId));
        break;
      case 'user_leave':
        if (typeof d.userId === 'string') this.report(this.users.leave(d.userId));
        break;
      case 'stream_available':
        if (typeof d.userId === 'string' && typeof d.stream === 'string') {
          this.report(this.users.stream(d.userId, d.stream, !!d.available));
        }
        break;
      case 'kicked': {
        const reason: KickReason =
          d.reason === 2 ? 'room_disband' : d.code === CODE_KICKED_BY_NEWER ? 'kick' : 'banned';
        const msg =
          typeof d.msg === 'string' && d.msg
            ? d.msg
            : reason === 'room_disband'
              ? 'the room was dismissed'
              : 'removed from the room';
        this.close();
        this.hooks.kicked(reason, msg);
        break;
      }
      case 'closing':
        // The node is shutting down: reconnect and resume (here or elsewhere).
        this.signal?.close();
        this.onLost('server is shutting down');
        break;
      case 'warning':
        this.hooks.warning(m.code ?? 0, m.msg ?? '');
        break;
      case 'error':
        this.hooks.warning(m.code ?? 0, m.msg ?? 'the server refused a message');
        break;
      default:
        this.hooks.event(m);
    }
  }

  /** Passes room events on, starting and ending the grace of away users. */
  private report(events: RoomEvent[]): void {
    for (const e of events) {
      if (e.kind === 'away') this.startAway(e.userId);
      else if (e.kind === 'back' || e.kind === 'exit') this.stopAway(e.userId);
    }
    this.hooks.roomEvents(events);
  }

  private startAway(userId: string): void {
    if (this.awayTimers.has(userId)) return;
    const grace = this.t.awayGraceMs ?? AWAY_GRACE_MS;
    this.awayTimers.set(
      userId,
      setTimeout(() => {
        this.awayTimers.delete(userId);
        if (this.phase !== 'ended') this.report(this.users.expire(userId));
      }, grace),
    );
  }

  private stopAway(userId: string): void {
    const t = this.awayTimers.get(userId);
    if (t === undefined) return;
    clearTimeout(t);
    this.awayTimers.delete(userId);
  }

  /** Checks the connection now (network change, tab shown again). */
  checkAlive(): void {
    if (this.phase === 'in') this.signal?.checkAlive();
    else if (this.phase === 'reconnecting') this.retryNow();
  }

  private onLost(_reason: string): void {
    if (this.phase !== 'in') return;
    this.keepBytes();
    this.signal = null;
    this.phase = 'reconnecting';
    this.lostAt = Date.now();
    this.backoff = 100;
    this.attempt = 0;
    this.redirects = 0;
    this.setState('RECONNECTING');
    this.scheduleRetry(0);
  }

  private keepBytes(): void {
    if (!this.signal) return;
    this.bytes.sent += this.signal.bytesSent;
    this.bytes.received += this.signal.bytesReceived;
  }

  private scheduleRetry(delay: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.retry();
    }, delay);
  }

  /** Retries at once (the network came back), keeping the back-off. */
  retryNow(): void {
    if (this.phase === 'reconnecting' && this.retryTimer) this.scheduleRetry(0);
  }

  private async retry(): Promise<void> {
    if (this.phase !== 'reconnecting') return;
    if (Date.now() - this.lostAt > this.t.maxReconnectMs) {
      this.end();
      this.hooks.failed(`could not reconnect within ${Math.round(this.t.maxReconnectMs / 1000)} s`);
      return;
    }
    this.attempt++;
    const s = this.newSignal();
    this.signal = s;
    let outcome: 'ok' | 'retry' | 'redirected' | 'fatal' = 'retry';
    let fatal = '';
    let resumed = false;
    try {
      try {
        await s.open(this.target ?? this.url, Math.min(this.t.connectTimeoutMs, 5000));
      } catch (e) {
        this.target = null; // the owner is unreachable: ask the configured server again
        throw e;
      }
      const resume: Record<string, unknown> = { sessionId: this.sessionId, resumeToken: this.resumeToken };
      if (this.lastMsgIndex !== null) resume.lastMsgIndex = this.lastMsgIndex;
      let m = await s.request('resume', resume, 5000);
      if (m.code === CODE_USER_NOT_FOUND) {
        // Dropped past the drop timeout: others saw us leave; enter again.
        this.lastMsgIndex = null;
        m = await s.request('enter', this.enterRequest(true), 5000);
        if (m.code === CODE_REDIRECT) {
          // The room lives elsewhere now: enter there (a malformed
          // redirect is retried here after the back-off).
          const to = redirectURL(m.data);
          if (to) {
            this.target = to;
            outcome = 'redirected';
          }
        } else if (m.code && m.code !== CODE_TIMEOUT && m.code !== CODE_DISCONNECTED && m.code !== CODE_SERVER_OVERLOADED) {
          outcome = 'fatal';
          fatal = `the server refused to enter the room again: ${m.code} ${m.msg ?? ''}`;
        }
      }
      if (!m.code && this.phase === 'reconnecting' && this.signal === s) {
        outcome = 'ok';
        resumed = !!m.data?.resumed;
        this.phase = 'in';
        this.apply(m.data);
        this.setState('CONNECTED');
        // After a re-enter (not a resume) users missing now are away, not gone (roomstate.ts).
        this.report(this.users.snapshot(Array.isArray(m.data?.users) ? m.data.users : [], !resumed));
        this.hooks.recovered(resumed);
      }
    } catch {
      outcome = 'retry';
    }
    if (outcome === 'ok') return;
    if (this.signal === s) {
      this.keepBytes();
      s.close();
      this.signal = null;
    }
    if (this.phase !== 'reconnecting') return;
    if (outcome === 'fatal') {
      this.end();
      this.hooks.failed(fatal);
      return;
    }
    // A redirect is an answer, not a failure: follow it at once, up to
    // MAX_REDIRECTS in a row; then the back-off applies again.
    if (outcome !== 'redirected') this.redirects = 0;
    else if (++this.redirects <= MAX_REDIRECTS) {
      this.scheduleRetry(0);
      return;
    }
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, 2000);
    this.scheduleRetry(delay);
  }

  /** Sets the role after a successful switch_role. */
  setRole(r: Role): void {
    this.role = r;
  }

  /** Tells the server we leave (bounded wait), then closes. */
  async exit(): Promise<void> {
    if (this.phase === 'ended') return;
    const s = this.signal;
    const wasIn = this.phase === 'in';
    this.end();
    if (s && wasIn) {
      await s.request('exit', undefined, 3000);
    }
    s?.close();
  }

  private end(): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const t of this.awayTimers.values()) clearTimeout(t);
    this.awayTimers.clear();
    this.keepBytes();
    const s = this.signal;
    this.signal = null;
    // A request in flight (exit) still completes on s; exit() closes it.
    if (s && !s.isOpen) s.close();
    this.users.clear();
    this.setState('DISCONNECTED');
  }

  /** Ends the session without telling the server (destroy, kicked). */
  close(): void {
    const s = this.signal;
    this.end();
    s?.close();
  }
}
