// The away grace of RoomSession (roomstate.ts, docs/web-sdk.md "Node
// failures"): after a re-enter, users missing from the room have their
// streams reported off at once and exit only if they are not back within
// AWAY_GRACE_MS. Fake timers: this is bookkeeping, not networking.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomSession, type RoomHooks, type RoomTimings } from '../src/room.js';
import { AWAY_GRACE_MS, type RoomEvent } from '../src/roomstate.js';
import { SUBPROTOCOL, type SocketLike } from '../src/signal.js';
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
  constructor(readonly url: string) {}
  open() {
    this.readyState = 1;
    this.protocol = SUBPROTOCOL;
    this.onopen?.({});
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  push(m: unknown) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
  respond(type: string, code: number, data?: unknown) {
    const req = [...this.sent].reverse().find((m) => m.type === type);
    if (!req) throw new Error(`no ${type} request`);
    this.push({ type: 'response', id: req.id, code, data });
  }
}

// A long server timeout keeps the fake connection up while the clock runs
// through the grace.
const response = (users: unknown[], extra: Record<string, unknown> = {}) => ({
  version: 1, sessionId: 's1', resumeToken: 't1', role: 20, scene: 0, users,
  heartbeatMs: 60000, timeoutMs: 120000, dropTimeoutMs: 90000, ...extra,
});

const bobAndEve = [{ userId: 'bob', audio: true, video: true }, { userId: 'eve' }];

async function inRoom(users: unknown[], timings: Partial<RoomTimings> = {}) {
  const sockets: FakeSocket[] = [];
  const events: RoomEvent[] = [];
  const log: string[] = [];
  const hooks: RoomHooks = {
    roomEvents: (e) => events.push(...e),
    kicked: (reason) => log.push(`kicked ${reason}`),
    event: () => {},
    state: () => {},
    recovered: (resumed) => log.push(`recovered resumed=${resumed}`),
    failed: (reason) => log.push(`failed ${reason}`),
    warning: () => {},
  };
  const params = checkEnterRoom({ sdkAppId: 1400000001, userId: 'alice', userSig: 'sig', roomId: 9 });
  const room = new RoomSession(params, 'ws://127.0.0.1:7880/signal', (url) => {
    const s = new FakeSocket(url);
    sockets.push(s);
    return s;
  }, hooks, {
    connectTimeoutMs: 1000, requestTimeoutMs: 1000, heartbeatMs: 60000, timeoutMs: 120000,
    maxReconnectMs: 60000, ...timings,
  });
  const done = room.enter();
  sockets[0]!.open();
  await vi.advanceTimersByTimeAsync(0);
  sockets[0]!.respond('enter', 0, response(users));
  await done;
  events.length = 0;
  return { room, sockets, events, log };
}

/** The connection drops; the resume finds no session and the enter gets users. */
async function reenter(sockets: FakeSocket[], users: unknown[]): Promise<FakeSocket> {
  sockets.at(-1)!.drop();
  await vi.advanceTimersByTimeAsync(0);
  const ws = sockets.at(-1)!;
  ws.open();
  await vi.advanceTimersByTimeAsync(0);
  ws.respond('resume', -102007);
  await vi.advanceTimersByTimeAsync(0);
  ws.respond('enter', 0, response(users));
  await vi.advanceTimersByTimeAsync(0);
  return ws;
}

const exits = (events: RoomEvent[]) => events.filter((e) => e.kind === 'exit').map((e) => e.userId);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('away users after a re-enter', () => {
  it('streams go off at once; the exit follows only when the grace is over', async () => {
    const { sockets, events, log } = await inRoom(bobAndEve);
    await reenter(sockets, []);
    expect(log).toEqual(['recovered resumed=false']);
    expect(events).toEqual([
      { kind: 'audio', userId: 'bob', available: false },
      { kind: 'video', userId: 'bob', streamType: 'main', available: false },
      { kind: 'away', userId: 'bob' },
      { kind: 'away', userId: 'eve' },
    ]);
    await vi.advanceTimersByTimeAsync(AWAY_GRACE_MS - 1);
    expect(exits(events)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits(events)).toEqual(['bob', 'eve']);
    await vi.advanceTimersByTimeAsync(3 * AWAY_GRACE_MS);
    expect(exits(events)).toEqual(['bob', 'eve']);
  });

  it('a user back within the grace is neither exited nor entered; its streams come back', async () => {
    const { sockets, events } = await inRoom(bobAndEve);
    const ws = await reenter(sockets, []);
    events.length = 0;
    await vi.advanceTimersByTimeAsync(3000);
    ws.push({ type: 'user_enter', data: { userId: 'bob', role: 20 } });
    ws.push({ type: 'stream_available', data: { userId: 'bob', stream: 'video', available: true } });
    ws.push({ type: 'stream_available', data: { userId: 'bob', stream: 'audio', available: true } });
    expect(events).toEqual([
      { kind: 'back', userId: 'bob' },
      { kind: 'video', userId: 'bob', streamType: 'main', available: true },
      { kind: 'audio', userId: 'bob', available: true },
    ]);
    await vi.advanceTimersByTimeAsync(3 * AWAY_GRACE_MS);
    expect(exits(events)).toEqual(['eve']);
    expect(events.some((e) => e.kind === 'enter')).toBe(false);
  });

  it('a user in the room when the re-enter answers was never away', async () => {
    const { sockets, events } = await inRoom(bobAndEve);
    await reenter(sockets, [{ userId: 'bob', video: true }, { userId: 'eve' }]);
    expect(events).toEqual([{ kind: 'audio', userId: 'bob', available: false }]);
    await vi.advanceTimersByTimeAsync(2 * AWAY_GRACE_MS);
    expect(exits(events)).toEqual([]);
  });

  it('a later resume does not restart the grace; a second re-enter neither', async () => {
    const { sockets, events } = await inRoom(bobAndEve);
    await reenter(sockets, [{ userId: 'eve' }]);
    await vi.advanceTimersByTimeAsync(4000);
    // Lost again and resumed: bob is still missing, and still away.
    sockets.at(-1)!.drop();
    await vi.advanceTimersByTimeAsync(0);
    const ws = sockets.at(-1)!;
    ws.open();
    await vi.advanceTimersByTimeAsync(0);
    ws.respond('resume', 0, response([{ userId: 'eve' }], { resumed: true }));
    await vi.advanceTimersByTimeAsync(2000);
    // Dropped again: a second re-enter, where eve is missing too.
    await reenter(sockets, []);
    expect(events.filter((e) => e.kind === 'away').map((e) => e.userId)).toEqual(['bob', 'eve']);
    await vi.advanceTimersByTimeAsync(AWAY_GRACE_MS - 6000 - 1);
    expect(exits(events)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits(events)).toEqual(['bob']);
    await vi.advanceTimersByTimeAsync(6000);
    expect(exits(events)).toEqual(['bob', 'eve']);
  });

  it('a user_leave of an away user is its exit, reported once', async () => {
    const { sockets, events } = await inRoom(bobAndEve);
    const ws = await reenter(sockets, []);
    ws.push({ type: 'user_leave', data: { userId: 'eve', role: 20, reason: 0 } });
    expect(exits(events)).toEqual(['eve']);
    await vi.advanceTimersByTimeAsync(2 * AWAY_GRACE_MS);
    expect(exits(events)).toEqual(['eve', 'bob']);
  });

  it('exitRoom and a kick end every grace without events', async () => {
    for (const end of ['exit', 'kicked'] as const) {
      const { room, sockets, events, log } = await inRoom(bobAndEve);
      const ws = await reenter(sockets, []);
      events.length = 0;
      if (end === 'exit') {
        const done = room.exit();
        ws.respond('exit', 0);
        await done;
      } else {
        ws.push({ type: 'kicked', data: { reason: 1, code: 0 } });
        expect(log.at(-1)).toBe('kicked banned');
      }
      await vi.advanceTimersByTimeAsync(2 * AWAY_GRACE_MS);
      expect(events).toEqual([]);
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it('the grace is a timing of the session', async () => {
    const { sockets, events } = await inRoom(bobAndEve, { awayGraceMs: 1500 });
    await reenter(sockets, []);
    await vi.advanceTimersByTimeAsync(1499);
    expect(exits(events)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits(events)).toEqual(['bob', 'eve']);
  });

  it('AWAY_GRACE_MS is the Go SDK\'s awayGrace, 10 s', () => {
    expect(AWAY_GRACE_MS).toBe(10_000);
  });
});
