// Random inputs for everything that parses data from outside the SDK: SDP,
// ICE candidates, server frames, room snapshots, API arguments. Nothing may
// throw except an RtcError from an API check. Seeded, so a failure repeats.
import { describe, expect, it } from 'vitest';
import { RtcError } from '../src/errors.js';
import { checkCustomMessage, fromBase64 } from '../src/custommsg.js';
import { RemoteUsers } from '../src/roomstate.js';
import { candidateAddress, candidateFilter, mediaSections } from '../src/sdp.js';
import { Signal, SUBPROTOCOL, type SocketLike } from '../src/signal.js';
import { readReport } from '../src/stats.js';
import { checkEnterRoom } from '../src/validate.js';

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const ITER = 3000;
const pieces = ['m=', 'a=mid:', 'a=msid:', ' ', '\r\n', '\n', 'video', 'audio', '/', 'candidate:', 'typ host', '127.0.0.1', '::1', '{', '}', '"', ':', ',', '[', ']', 'null', '1', '-1', 'type', 'data', 'userId', 'é', '\u0000'];

function randomText(r: () => number, n = 40): string {
  let s = '';
  const len = Math.floor(r() * n);
  for (let i = 0; i < len; i++) {
    s += r() < 0.6 ? pieces[Math.floor(r() * pieces.length)] : String.fromCharCode(Math.floor(r() * 0x250));
  }
  return s;
}

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 9);
  switch (k) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return r() * 1e10 - 5e9;
    case 3:
      return Math.floor(r() * 5000);
    case 4:
      return randomText(r, 10);
    case 5:
      return r() < 0.5;
    case 6:
      return depth > 2 ? [] : Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    case 7: {
      if (depth > 2) return {};
      const o: Record<string, unknown> = {};
      for (const key of ['userId', 'roomId', 'strRoomId', 'sdkAppId', 'userSig', 'scene', 'role', 'audio', 'video', 'sub', 'cmdId', 'data']) {
        if (r() < 0.4) o[key] = randomValue(r, depth + 1);
      }
      return o;
    }
    default:
      return new Uint8Array(Math.floor(r() * 2000)).buffer;
  }
}

class Sink implements SocketLike {
  readyState = 1;
  protocol = SUBPROTOCOL;
  onopen: any = null;
  onclose: any = null;
  onerror: any = null;
  onmessage: any = null;
  send() {}
  close() {}
}

describe('fuzz', () => {
  it('SDP and candidate parsing never throws', () => {
    const r = rng(1);
    for (let i = 0; i < ITER; i++) {
      const text = randomText(r, 80);
      expect(Array.isArray(mediaSections(text))).toBe(true);
      expect(typeof candidateAddress(text)).toBe('string');
      expect(typeof candidateFilter('127.0.0.1')(text)).toBe('boolean');
    }
  });

  it('server frames of any shape reach onEvent only when well-formed', async () => {
    const r = rng(2);
    let sock!: Sink;
    const got: unknown[] = [];
    const s = new Signal(
      () => (sock = new Sink()),
      { heartbeatMs: 100000, timeoutMs: 100000, onEvent: (m) => got.push(m), onLost: () => {} },
    );
    const opened = s.open('ws://x', 1000);
    sock.onopen({});
    await opened;
    for (let i = 0; i < ITER; i++) {
      const v = r() < 0.5 ? randomText(r, 60) : JSON.stringify(randomValue(r));
      sock.onmessage({ data: r() < 0.1 ? new ArrayBuffer(3) : v });
    }
    for (const m of got) expect(typeof (m as { type: unknown }).type).toBe('string');
    s.close();
  });

  it('room snapshots and stream events of any shape keep the state consistent', () => {
    const r = rng(3);
    const u = new RemoteUsers();
    for (let i = 0; i < ITER; i++) {
      const v = randomValue(r);
      const events = u.snapshot(Array.isArray(v) ? (v as never[]) : []);
      for (const e of events) expect(typeof e.userId).toBe('string');
      u.stream(String(randomValue(r)), ['audio', 'video', 'sub', 'x'][Math.floor(r() * 4)]!, r() < 0.5);
      u.leave(String(randomValue(r)));
    }
  });

  it('random enters, leaves, streams, re-enters and expiries keep the away bookkeeping sound', () => {
    const r = rng(6);
    const u = new RemoteUsers();
    const ids = ['a', 'b', 'c', 'd'];
    const pick = () => ids[Math.floor(r() * ids.length)]!;
    const shown = new Set<string>(); // entered (or back) and not exited, as an observer sees it
    for (let i = 0; i < ITER; i++) {
      let events;
      const op = Math.floor(r() * 6);
      if (op === 0) {
        const users = ids.filter(() => r() < 0.5).map((userId) => ({ userId, audio: r() < 0.5, video: r() < 0.5 }));
        events = u.snapshot(users, r() < 0.6);
      } else if (op === 1) events = u.enter(pick());
      else if (op === 2) events = u.leave(pick());
      else if (op === 3) events = u.expire(pick());
      else events = u.stream(pick(), ['audio', 'video', 'sub'][Math.floor(r() * 3)]!, r() < 0.5);
      for (const e of events) {
        if (e.kind === 'enter') {
          expect(shown.has(e.userId)).toBe(false);
          shown.add(e.userId);
        } else {
          expect(shown.has(e.userId)).toBe(true);
          if (e.kind === 'exit') shown.delete(e.userId);
        }
      }
      const present = u.list();
      const away = u.awayList();
      expect(present.filter((x) => away.includes(x))).toEqual([]);
      expect([...present, ...away].sort()).toEqual([...shown].sort());
    }
  });

  it('API argument checks throw only RtcErrors', () => {
    const r = rng(4);
    for (let i = 0; i < ITER; i++) {
      for (const f of [() => checkEnterRoom(randomValue(r)), () => checkCustomMessage(randomValue(r))]) {
        try {
          f();
        } catch (e) {
          expect(e).toBeInstanceOf(RtcError);
          expect([5000, 5100]).toContain((e as RtcError).code);
        }
      }
      fromBase64(randomText(r, 20));
    }
  });

  it('statistics reports with missing or odd fields read as zeros', () => {
    const r = rng(5);
    for (let i = 0; i < 500; i++) {
      const entries: [string, any][] = [];
      for (let j = 0; j < 6; j++) {
        const o = (randomValue(r) as object) ?? {};
        entries.push([String(j), { ...(typeof o === 'object' ? o : {}), id: String(j), type: ['transport', 'outbound-rtp', 'inbound-rtp', 'remote-inbound-rtp', 'media-source', 'candidate-pair'][j], mid: '0', localId: '1', selectedCandidatePairId: '5' }]);
      }
      const st = readReport(entries, new Map([['0', 'a/video']]));
      expect(Number.isFinite(st.bytesSent)).toBe(true);
    }
  });
});
