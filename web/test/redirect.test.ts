import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomSession, type RoomHooks } from '../src/room.js';
import { MAX_REDIRECTS, redirectURL } from '../src/redirect.js';
import { SUBPROTOCOL, type SocketLike } from '../src/signal.js';
import { checkEnterRoom } from '../src/validate.js';

/** A WebSocket stand-in: the test plays the cluster's nodes. */
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
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
  respond(type: string, code: number, data?: unknown) {
    const req = [...this.sent].reverse().find((m) => m.type === type);
    if (!req) throw new Error(`no ${type} request`);
    this.onmessage?.({ data: JSON.stringify({ type: 'response', id: req.id, code, data }) });
  }
}

const entered = {
  version: 1, sessionId: 's1', resumeToken: 't1', role: 20, scene: 0, users: [],
  heartbeatMs: 200, timeoutMs: 1000, dropTimeoutMs: 90000,
};

function setup() {
  const sockets: FakeSocket[] = [];
  const log: string[] = [];
  const hooks: RoomHooks = {
    roomEvents: () => {},
    kicked: () => {},
    event: () => {},
    state: (prev, next) => log.push(`${prev}->${next}`),
    recovered: (resumed) => log.push(`recovered resumed=${resumed}`),
    failed: (reason) => log.push(`failed ${reason}`),
    warning: () => {},
  };
  const params = checkEnterRoom({ sdkAppId: 1400000001, userId: 'alice', userSig: 'sig', roomId: 9 });
  const room = new RoomSession(params, 'ws://lb.example:7880/signal', (url) => {
    const s = new FakeSocket(url);
    sockets.push(s);
    return s;
  }, hooks, { connectTimeoutMs: 1000, requestTimeoutMs: 1000, heartbeatMs: 200, timeoutMs: 1000, maxReconnectMs: 5000 });
  return { room, sockets, log };
}

/** Opens the newest socket and lets the SDK send its request. */
async function openNext(sockets: FakeSocket[], n: number): Promise<FakeSocket> {
  await vi.advanceTimersByTimeAsync(0);
  expect(sockets.length).toBe(n);
  const ws = sockets[n - 1]!;
  ws.open();
  await vi.advanceTimersByTimeAsync(0);
  return ws;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('cluster redirects', () => {
  it('an enter redirected to the owner is sent again there, and resumes go there', async () => {
    const { room, sockets, log } = setup();
    const done = room.enter();
    const first = await openNext(sockets, 1);
    first.respond('enter', 302, { url: 'ws://10.0.0.12:7880/signal' });
    const owner = await openNext(sockets, 2);
    expect(first.closed).toBe(true);
    expect(owner.url).toBe('ws://10.0.0.12:7880/signal');
    expect(owner.sent.find((m) => m.type === 'enter').data).toMatchObject({ userId: 'alice', roomId: 9 });
    owner.respond('enter', 0, entered);
    expect(await done).toEqual({ code: 0, msg: '' });
    expect(log).toEqual(['DISCONNECTED->CONNECTING', 'CONNECTING->CONNECTED']);

    owner.drop();
    await vi.advanceTimersByTimeAsync(200);
    const again = sockets.at(-1)!;
    expect(again.url).toBe('ws://10.0.0.12:7880/signal');

    // The owner is gone: the next attempt goes to the configured URL.
    const n = sockets.length;
    again.drop();
    await vi.advanceTimersByTimeAsync(2000);
    expect(sockets.length).toBeGreaterThan(n);
    expect(sockets.at(-1)!.url).toBe('ws://lb.example:7880/signal');
  });

  it('follows three redirects in a row and fails the enter at the fourth', async () => {
    const { room, sockets } = setup();
    const done = room.enter();
    for (let i = 1; i <= MAX_REDIRECTS + 1; i++) {
      const ws = await openNext(sockets, i);
      ws.respond('enter', 302, { url: `ws://10.0.0.${i}:7880/signal` });
    }
    const r = await done;
    expect(r.code).toBe(302);
    expect(room.inRoom).toBe(false);
    expect(sockets.map((s) => s.url)).toEqual([
      'ws://lb.example:7880/signal',
      'ws://10.0.0.1:7880/signal',
      'ws://10.0.0.2:7880/signal',
      'ws://10.0.0.3:7880/signal',
    ]);
  });

  it('a malformed redirect fails the enter', async () => {
    const { room, sockets } = setup();
    const done = room.enter();
    const ws = await openNext(sockets, 1);
    ws.respond('enter', 302, { url: 'javascript:alert(1)' });
    expect((await done).code).toBe(302);
    expect(sockets.length).toBe(1);
  });

  it('redirectURL accepts only ws and wss URLs', () => {
    expect(redirectURL({ url: 'wss://a.example/signal' })).toBe('wss://a.example/signal');
    expect(redirectURL({ url: 'http://a.example/signal' })).toBeNull();
    expect(redirectURL({ url: 42 })).toBeNull();
    expect(redirectURL(null)).toBeNull();
    expect(redirectURL({ url: 'ws://' + 'a'.repeat(3000) })).toBeNull();
  });

  // The session's node died: the resume finds no session (−102007) and the
  // enter that follows is redirected to the room's new owner.
  async function enteredThenLost() {
    const t = setup();
    const done = t.room.enter();
    (await openNext(t.sockets, 1)).respond('enter', 0, entered);
    await done;
    t.sockets[0]!.drop();
    return t;
  }

  /** Answers a reconnect attempt's resume with −102007 and its enter with code. */
  async function reenter(ws: FakeSocket, code: number, data?: unknown) {
    ws.respond('resume', -102007);
    await vi.advanceTimersByTimeAsync(0);
    ws.respond('enter', code, data);
    await vi.advanceTimersByTimeAsync(0);
  }

  it('while reconnecting, a redirect is followed at once, without the back-off', async () => {
    const { room, sockets, log } = await enteredThenLost();
    const first = await openNext(sockets, 2);
    expect(first.url).toBe('ws://lb.example:7880/signal');
    await reenter(first, 302, { url: 'ws://10.0.0.12:7880/signal' });
    expect(first.closed).toBe(true);
    // No timer had to run: the owner's connection is being opened already.
    const owner = await openNext(sockets, 3);
    expect(owner.url).toBe('ws://10.0.0.12:7880/signal');
    await reenter(owner, 0, entered);
    expect(log.slice(-2)).toEqual(['RECONNECTING->CONNECTED', 'recovered resumed=false']);
    expect(room.connected).toBe(true);
  });

  it('while reconnecting, at most three redirects in a row are followed at once', async () => {
    const { sockets } = await enteredThenLost();
    for (let i = 2; i <= MAX_REDIRECTS + 1; i++) {
      await reenter(await openNext(sockets, i), 302, { url: `ws://10.0.0.${i}:7880/signal` });
    }
    // The third was followed at once too: its connection is open already.
    expect(sockets.length).toBe(MAX_REDIRECTS + 2);
    // The fourth redirect in a row waits out the back-off (100 ms) first.
    await reenter(await openNext(sockets, MAX_REDIRECTS + 2), 302, { url: 'ws://10.0.0.99:7880/signal' });
    await vi.advanceTimersByTimeAsync(99);
    expect(sockets.length).toBe(MAX_REDIRECTS + 2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets.length).toBe(MAX_REDIRECTS + 3);
    expect(sockets.at(-1)!.url).toBe('ws://10.0.0.99:7880/signal');
  });

  it('a malformed redirect while reconnecting is retried after the back-off', async () => {
    const { room, sockets, log } = await enteredThenLost();
    await reenter(await openNext(sockets, 2), 302, { url: 'ftp://10.0.0.12/signal' });
    expect(room.inRoom).toBe(true);
    expect(log.some((l) => l.startsWith('failed'))).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(sockets.length).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    const again = await openNext(sockets, 3);
    expect(again.url).toBe('ws://lb.example:7880/signal');
  });
});
