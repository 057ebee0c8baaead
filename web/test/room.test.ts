import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomSession, type RoomHooks } from '../src/room.js';
import type { RoomEvent } from '../src/roomstate.js';
import { Signal, SUBPROTOCOL, type SocketLike } from '../src/signal.js';
import { checkEnterRoom } from '../src/validate.js';

/** A WebSocket stand-in: the test plays the server. */
class FakeSocket implements SocketLike {
  readyState = 0;
  protocol = '';
  onopen: ((ev: any) => void) | null = null;
  onclose: ((ev: any) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: any }) => void) | null = null;
  sent: any[] = [];
  closed = false;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  open(protocol = SUBPROTOCOL) {
    this.readyState = 1;
    this.protocol = protocol;
    this.onopen?.({});
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  /** The server sends a frame. */
  push(m: unknown) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  /** The connection drops. */
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
  last(type: string) {
    return [...this.sent].reverse().find((m) => m.type === type);
  }
  respond(type: string, code = 0, data?: unknown) {
    const req = this.last(type);
    if (!req) throw new Error(`no ${type} request; sent ${JSON.stringify(this.sent)}`);
    this.push({ type: 'response', id: req.id, code, data });
  }
}

function setup(opts: Record<string, unknown> = {}) {
  const sockets: FakeSocket[] = [];
  const log: string[] = [];
  const events: RoomEvent[] = [];
  const hooks: RoomHooks = {
    roomEvents: (e) => events.push(...e),
    kicked: (reason, msg) => log.push(`kicked ${reason} ${msg}`),
    event: (m) => log.push(`event ${m.type}`),
    state: (prev, next) => log.push(`${prev}->${next}`),
    recovered: (resumed) => log.push(`recovered resumed=${resumed}`),
    failed: (reason) => log.push(`failed ${reason}`),
    warning: (code) => log.push(`warning ${code}`),
  };
  const params = checkEnterRoom({ sdkAppId: 1400000001, userId: 'alice', userSig: 'sig', roomId: 9, ...opts });
  const room = new RoomSession(
    params,
    'ws://127.0.0.1:7880/signal',
    (url, protocols) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      return s;
    },
    hooks,
    { connectTimeoutMs: 1000, requestTimeoutMs: 1000, heartbeatMs: 200, timeoutMs: 1000, maxReconnectMs: 5000 },
  );
  return { room, sockets, log, events };
}

const enterResponse = (users: unknown[] = [], extra: Record<string, unknown> = {}) => ({
  version: 1,
  sessionId: 's1',
  resumeToken: 't1',
  role: 20,
  scene: 0,
  users,
  heartbeatMs: 200,
  timeoutMs: 1000,
  dropTimeoutMs: 90000,
  ...extra,
});

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('RoomSession', () => {
  it('enters: subprotocol, enter request, users as events, CONNECTED', async () => {
    const { room, sockets, log, events } = setup({ scene: 'live', role: 'audience', autoReceiveVideo: true });
    const entered = room.enter();
    const ws = sockets[0]!;
    expect(ws.protocols).toEqual(['rtcengine.v1']);
    ws.open();
    await vi.advanceTimersByTimeAsync(0);
    const req = ws.last('enter');
    expect(req.data).toMatchObject({ sdkAppId: 1400000001, userId: 'alice', roomId: 9, scene: 1, role: 21, autoRecvAudio: true, autoRecvVideo: true });
    expect(req.data.terminal.userType).toBe(1);
    expect(req.data.retry).toBeUndefined(); // a first enter
    ws.respond('enter', 0, enterResponse([{ userId: 'bob', role: 20, video: true }], { role: 21, scene: 1 }));
    expect(await entered).toEqual({ code: 0, msg: '' });
    expect(room.role).toBe('audience');
    expect(log).toEqual(['DISCONNECTED->CONNECTING', 'CONNECTING->CONNECTED']);
    expect(events).toEqual([
      { kind: 'enter', userId: 'bob' },
      { kind: 'video', userId: 'bob', streamType: 'main', available: true },
    ]);
  });

  it('a refused enter ends the session with the server code', async () => {
    const { room, sockets, log } = setup();
    const entered = room.enter();
    sockets[0]!.open();
    await vi.advanceTimersByTimeAsync(0);
    sockets[0]!.respond('enter', -100018, {});
    expect(await entered).toEqual({ code: -100018, msg: '' });
    expect(room.inRoom).toBe(false);
    expect(sockets[0]!.closed).toBe(true);
    expect(log.at(-1)).toBe('CONNECTING->DISCONNECTED');
  });

  it('a server that does not speak rtcengine.v1 fails the enter', async () => {
    const { room, sockets } = setup();
    const entered = room.enter();
    sockets[0]!.open('');
    const r = await entered;
    expect(r.code).toBe(-3308);
    expect(r.msg).toMatch(/rtcengine\.v1/);
  });

  it('no answer to the connection in time fails the enter', async () => {
    const { room } = setup();
    const entered = room.enter();
    await vi.advanceTimersByTimeAsync(1001);
    expect((await entered).code).toBe(-3308);
  });

  it('room events: enter, streams, leave, kicked', async () => {
    const { room, sockets, log, events } = await entered();
    const ws = sockets[0]!;
    ws.push({ type: 'user_enter', data: { userId: 'carol', role: 20 } });
    ws.push({ type: 'stream_available', data: { userId: 'carol', stream: 'sub', available: true } });
    ws.push({ type: 'user_leave', data: { userId: 'carol', reason: 0 } });
    ws.push({ type: 'sub_offer', data: { sdp: 'v=0' } });
    ws.push({ type: 'warning', code: 6001, msg: 'audience' });
    expect(events).toEqual([
      { kind: 'enter', userId: 'carol' },
      { kind: 'video', userId: 'carol', streamType: 'sub', available: true },
      { kind: 'video', userId: 'carol', streamType: 'sub', available: false },
      { kind: 'exit', userId: 'carol' },
    ]);
    ws.push({ type: 'kicked', data: { reason: 2, code: 0 } });
    expect(log.slice(2)).toEqual(['event sub_offer', 'warning 6001', 'CONNECTED->DISCONNECTED', 'kicked room_disband the room was dismissed']);
    expect(room.inRoom).toBe(false);
    expect(ws.closed).toBe(true);
  });

  it('kick reasons: a newer session is "kick", RemoveUser is "banned"', async () => {
    for (const [data, reason] of [
      [{ reason: 1, code: 6100, msg: 'same userId' }, 'kick'],
      [{ reason: 1 }, 'banned'],
    ] as const) {
      const { sockets, log } = await entered();
      sockets[0]!.push({ type: 'kicked', data });
      expect(log.at(-1)).toMatch(new RegExp(`^kicked ${reason} `));
    }
  });

  it('heartbeats, and silence past the timeout reconnects with resume', async () => {
    const { room, sockets, log } = await entered([{ userId: 'bob', video: true }]);
    const ws = sockets[0]!;
    await vi.advanceTimersByTimeAsync(200);
    expect(ws.sent.some((m) => m.type === 'ping')).toBe(true);
    await vi.advanceTimersByTimeAsync(1200); // the server said nothing
    expect(log).toContain('CONNECTED->RECONNECTING');
    expect(room.inRoom).toBe(true);
    expect(room.connected).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    const ws2 = sockets[1]!;
    ws2.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(ws2.last('resume').data).toEqual({ sessionId: 's1', resumeToken: 't1' });
    ws2.respond('resume', 0, enterResponse([{ userId: 'bob', video: true }], { resumed: true }));
    await vi.advanceTimersByTimeAsync(0);
    expect(log.slice(-2)).toEqual(['RECONNECTING->CONNECTED', 'recovered resumed=true']);
    expect(room.connected).toBe(true);
  });

  it('a dropped session (−102007) is entered again; others missing are away (test/away.test.ts)', async () => {
    const { room, sockets, log, events } = await entered([{ userId: 'bob' }, { userId: 'eve' }]);
    room.lastMsgIndex = 41;
    events.length = 0;
    sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(0);
    const ws2 = sockets[1]!;
    ws2.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(ws2.last('resume').data.lastMsgIndex).toBe(41);
    ws2.respond('resume', -102007);
    await vi.advanceTimersByTimeAsync(0);
    expect(ws2.last('enter').data.userId).toBe('alice');
    // An enter again after the session timed out: webhook 103 reason 3.
    expect(ws2.last('enter').data.retry).toBe(true);
    ws2.respond('enter', 0, enterResponse([{ userId: 'bob' }]));
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual([{ kind: 'away', userId: 'eve' }]);
    expect(log.at(-1)).toBe('recovered resumed=false');
    expect(room.lastMsgIndex).toBeNull();
  });

  it('retries with back-off while the server is unreachable, then gives up', async () => {
    const { sockets, log } = await entered();
    sockets[0]!.drop();
    // Every attempt's socket closes at once: 0, 100, 200, 400 … 2000 ms apart.
    for (let i = 0; i < 40 && !log.some((l) => l.startsWith('failed')); i++) {
      await vi.advanceTimersByTimeAsync(0);
      const s = sockets.at(-1)!;
      if (s.readyState === 0) s.drop();
      await vi.advanceTimersByTimeAsync(2000);
    }
    expect(sockets.length).toBeGreaterThan(3);
    expect(log.some((l) => l.startsWith('failed could not reconnect'))).toBe(true);
    expect(log).toContain('RECONNECTING->DISCONNECTED');
  });

  it('a refused re-enter is fatal', async () => {
    const { sockets, log } = await entered();
    sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(0);
    sockets[1]!.open();
    await vi.advanceTimersByTimeAsync(0);
    sockets[1]!.respond('resume', -102007);
    await vi.advanceTimersByTimeAsync(0);
    sockets[1]!.respond('enter', -100018);
    await vi.advanceTimersByTimeAsync(0);
    expect(log.at(-1)).toMatch(/^failed the server refused to enter the room again: -100018/);
  });

  it('exit tells the server and closes; requests afterwards fail as disconnected', async () => {
    const { room, sockets, log } = await entered();
    const done = room.exit();
    sockets[0]!.respond('exit');
    await done;
    expect(sockets[0]!.closed).toBe(true);
    expect(log.at(-1)).toBe('CONNECTED->DISCONNECTED');
    expect((await room.request('stream_state', {})).code).toBe(-8);
  });

  it('exit while entering abandons the enter', async () => {
    const { room, sockets } = setup();
    const entering = room.enter();
    sockets[0]!.open();
    await vi.advanceTimersByTimeAsync(0);
    await room.exit();
    expect((await entering).code).toBe(-8);
    expect(sockets[0]!.closed).toBe(true);
  });
});

describe('Signal', () => {
  it('times out requests and fails them when the connection drops', async () => {
    let sock!: FakeSocket;
    const lost: string[] = [];
    const s = new Signal(
      (u, p) => (sock = new FakeSocket(u, p)),
      { heartbeatMs: 1000, timeoutMs: 5000, onEvent: () => {}, onLost: (r) => lost.push(r) },
    );
    const opened = s.open('ws://x/signal', 1000);
    sock.open();
    await opened;
    const a = s.request('subscribe', {}, 300);
    await vi.advanceTimersByTimeAsync(301);
    expect((await a).code).toBe(-3308);
    const b = s.request('subscribe', {}, 3000);
    sock.push('garbage');
    sock.onmessage?.({ data: 'not json' });
    sock.drop();
    expect((await b).code).toBe(-8);
    expect(lost).toHaveLength(1);
    expect(s.send('ping')).toBe(false);
  });
});

async function entered(users: unknown[] = []) {
  const t = setup();
  const p = t.room.enter();
  t.sockets[0]!.open();
  await vi.advanceTimersByTimeAsync(0);
  t.sockets[0]!.respond('enter', 0, enterResponse(users));
  await p;
  return t;
}
