// One signaling connection: the WebSocket at /signal with subprotocol
// rtcengine.v1 (docs/protocol.md). Requests carry an id and resolve with
// the response; events go to onEvent. Both sides ping every heartbeat
// interval; silence longer than the timeout means the connection is lost.

export const SUBPROTOCOL = 'rtcengine.v1';

/** Codes the SDK synthesizes for requests that get no answer. */
export const CODE_DISCONNECTED = -8; // ERR_DISCONNECTED
export const CODE_TIMEOUT = -3308; // ERR_TRTC_CONNECT_SERVER_TIMEOUT

export interface Message {
  type: string;
  id?: number;
  code?: number;
  msg?: string;
  data?: any;
}

/** The part of WebSocket the SDK uses (a fake in unit tests). */
export interface SocketLike {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  onmessage: ((ev: { data: any }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string, protocols: string[]) => SocketLike;

export const browserSocket: SocketFactory = (url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike;

export interface SignalOptions {
  heartbeatMs: number;
  timeoutMs: number;
  onEvent: (m: Message) => void;
  /** Called once when the connection ends for any reason but close(). */
  onLost: (reason: string) => void;
  now?: () => number;
}

interface Pending {
  resolve: (m: Message) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Signal {
  private ws: SocketLike | null = null;
  private nextId = 0;
  private pending = new Map<number, Pending>();
  private ticker: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  private now: () => number;
  /** When the last frame arrived (ms, for liveness checks). */
  lastFrameAt = 0;
  bytesSent = 0;
  bytesReceived = 0;

  constructor(
    private factory: SocketFactory,
    private opts: SignalOptions,
  ) {
    this.now = opts.now ?? (() => Date.now());
  }

  /** Connects; rejects with a reason if the socket does not open in time. */
  open(url: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let ws: SocketLike;
      try {
        ws = this.factory(url, [SUBPROTOCOL]);
      } catch (e) {
        reject(new Error(`cannot connect to ${url}: ${(e as Error).message}`));
        return;
      }
      this.ws = ws;
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.teardown();
        reject(new Error(`no connection to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.onopen = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (ws.protocol !== SUBPROTOCOL) {
          this.teardown();
          reject(new Error(`the server does not speak ${SUBPROTOCOL}`));
          return;
        }
        this.lastFrameAt = this.now();
        this.startTicker();
        resolve();
      };
      ws.onmessage = (ev) => this.onFrame(ev.data);
      ws.onerror = () => {};
      ws.onclose = (ev) => {
        clearTimeout(timer);
        if (!settled) {
          settled = true;
          this.teardown();
          reject(new Error(`connection to ${url} refused or closed (${ev?.code ?? ''} ${ev?.reason ?? ''})`.trim()));
          return;
        }
        this.lost(`closed by the server (${ev?.code ?? ''}${ev?.reason ? ' ' + ev.reason : ''})`);
      };
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.ws !== null && this.ws.readyState === 1;
  }

  setHeartbeat(heartbeatMs: number, timeoutMs: number): void {
    if (heartbeatMs > 0) this.opts.heartbeatMs = heartbeatMs;
    if (timeoutMs > 0) this.opts.timeoutMs = timeoutMs;
    if (this.ticker) this.startTicker();
  }

  /**
   * Sends a request. It resolves with the response, or with a synthesized
   * one carrying CODE_TIMEOUT (no answer in time) or CODE_DISCONNECTED (the
   * connection ended first). It never rejects.
   */
  request(type: string, data: unknown, timeoutMs: number): Promise<Message> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      if (!this.isOpen) {
        resolve({ type: 'response', id, code: CODE_DISCONNECTED, msg: 'not connected' });
        return;
      }
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) resolve({ type: 'response', id, code: CODE_TIMEOUT, msg: `${type}: no response` });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.write(data === undefined ? { type, id } : { type, id, data });
    });
  }

  /** Sends a frame that gets no response. */
  send(type: string, data?: unknown): boolean {
    if (!this.isOpen) return false;
    this.write(data === undefined ? { type } : { type, data });
    return true;
  }

  private write(m: Message): void {
    const s = JSON.stringify(m);
    this.bytesSent += s.length;
    try {
      this.ws!.send(s);
    } catch {
      this.lost('send failed');
    }
  }

  private onFrame(raw: unknown): void {
    this.lastFrameAt = this.now();
    if (typeof raw !== 'string') return; // binary frames are not part of v1
    this.bytesReceived += raw.length;
    let m: Message;
    try {
      m = JSON.parse(raw);
    } catch {
      return;
    }
    if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
    if (m.type === 'ping') return;
    if (m.type === 'response') {
      const p = m.id !== undefined ? this.pending.get(m.id) : undefined;
      if (p) {
        this.pending.delete(m.id!);
        clearTimeout(p.timer);
        p.resolve(m);
      }
      return;
    }
    this.opts.onEvent(m);
  }

  private startTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(), this.opts.heartbeatMs);
  }

  /** Sends a heartbeat and declares the connection lost after a silent timeout. */
  tick(): void {
    if (this.closed) return;
    if (this.now() - this.lastFrameAt > this.opts.timeoutMs) {
      this.lost(`no message from the server for ${this.opts.timeoutMs} ms`);
      return;
    }
    this.send('ping');
  }

  /** Checks liveness now (after a network change or when the tab shows again). */
  checkAlive(): boolean {
    if (!this.isOpen) {
      if (!this.closed) this.lost('socket is not open');
      return false;
    }
    this.tick();
    return this.isOpen;
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.teardown();
    this.opts.onLost(reason);
  }

  private teardown(): void {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    const ws = this.ws;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, 'bye');
      } catch {
        // already closed
      }
    }
    const all = [...this.pending.entries()];
    this.pending.clear();
    for (const [id, p] of all) {
      clearTimeout(p.timer);
      p.resolve({ type: 'response', id, code: CODE_DISCONNECTED, msg: 'connection lost' });
    }
  }

  /** Closes without reporting the loss. */
  close(): void {
    if (this.closed) return;
    this.teardown();
  }
}
