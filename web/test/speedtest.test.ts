import { describe, expect, it } from 'vitest';
import { RtcError } from '../src/errors.js';
import type { SocketLike } from '../src/signal.js';
import {
  DOWN,
  PING,
  PONG,
  PROBE,
  ProbeReceiver,
  UP,
  channelPacketSize,
  checkSpeedTestParams,
  encodeProbe,
  failedResult,
  filterCandidates,
  packetSize,
  parseProbe,
  parseToken,
  rateSpeedTest,
  reportOf,
  startSpeedTest,
  type SpeedTestDeps,
} from '../src/speedtest.js';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const token = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

function codes(f: () => unknown): [number, number | undefined] {
  try {
    f();
  } catch (e) {
    const r = e as RtcError;
    return [r.code, r.extraCode];
  }
  throw new Error('no error');
}

describe('probe datagrams', () => {
  // Made by the Go server's encoder (internal/probe.Packet.Append): the two
  // sides agree byte for byte.
  const fromGo =
    '0e0102000102030405060708090a0b0c0d0e0f100000000700000000075bcd15000000003ade68b180000000000000010000';

  it('encodes like the server', () => {
    const b = encodeProbe({ type: PONG, token, seq: 7, sent: 123456789, echo: 987654321, cookie: 0x8000000000000001n, size: 50 });
    expect(hex(b)).toBe(fromGo);
  });

  it('parses what the server encodes', () => {
    const b = Uint8Array.from(fromGo.match(/../g)!.map((x) => parseInt(x, 16)));
    const p = parseProbe(b.buffer)!;
    expect(p.type).toBe(PONG);
    expect([...p.token]).toEqual([...token]);
    expect(p.seq).toBe(7);
    expect(p.sent).toBe(123456789);
    expect(p.echo).toBe(987654321);
    expect(p.cookie).toBe(0x8000000000000001n); // exact: 64 bits survive
    expect(p.size).toBe(50);
  });

  it('pads and clamps sizes', () => {
    expect(encodeProbe({ type: UP, token, seq: 0, sent: 0, echo: 0, cookie: 0n, size: 3 }).length).toBe(PROBE.HEADER);
    expect(encodeProbe({ type: UP, token, seq: 0, sent: 0, echo: 0, cookie: 0n, size: 9000 }).length).toBe(PROBE.MAX_SIZE);
    const b = encodeProbe({ type: DOWN, token, seq: 2 ** 32 - 1, sent: 1.6, echo: -5, cookie: 1n, size: 700 });
    const p = parseProbe(b)!;
    expect([p.seq, p.sent, p.echo, p.size]).toEqual([2 ** 32 - 1, 2, 0, 700]);
  });

  it('refuses what is not a probe', () => {
    const good = encodeProbe({ type: PING, token, seq: 1, sent: 1, echo: 0, cookie: 0n, size: 48 });
    const edit = (i: number, v: number) => {
      const b = good.slice();
      b[i] = v;
      return b;
    };
    expect(parseProbe(good)).not.toBeNull();
    expect(parseProbe(good.slice(0, 47))).toBeNull();
    expect(parseProbe(new Uint8Array(0))).toBeNull();
    expect(parseProbe(edit(0, 0x16))).toBeNull(); // DTLS
    expect(parseProbe(edit(1, 2))).toBeNull(); // version
    expect(parseProbe(edit(2, 0))).toBeNull();
    expect(parseProbe(edit(2, 5))).toBeNull();
    // A view into a larger buffer is read at its offset.
    const big = new Uint8Array(100);
    big.set(good, 10);
    expect(parseProbe(big.subarray(10, 58))?.seq).toBe(1);
  });

  it('reads tokens', () => {
    expect(hex(parseToken('0102030405060708090a0b0c0d0e0f10')!)).toBe(hex(token));
    for (const bad of ['', '01', 'zz02030405060708090a0b0c0d0e0f10', '0102030405060708090a0b0c0d0e0f1000', 7, null]) {
      expect(parseToken(bad)).toBeNull();
    }
  });

  it('sizes datagrams for 50 a second, as the Go SDK does', () => {
    expect([10, 100, 400, 5000].map(packetSize)).toEqual([PROBE.HEADER, 250, 1000, PROBE.MAX_SIZE]);
    // Over the data channel a datagram fits one SCTP chunk.
    expect([10, 400, 440, 5000].map(channelPacketSize)).toEqual([PROBE.HEADER, 1000, 1100, 1100]);
  });
});

describe('ProbeReceiver', () => {
  it('measures loss, rate and jitter', () => {
    const r = new ProbeReceiver();
    // 11 datagrams of 1000 bytes, 20 ms apart (400 kbps), seq 4 lost, seq 6 twice.
    for (let seq = 0; seq <= 10; seq++) {
      if (seq === 4) continue;
      r.add(seq, 1_000_000 + seq * 20_000, 1000, 5_000_000 + seq * 20_000);
      if (seq === 6) r.add(seq, 1_000_000 + seq * 20_000, 1000, 5_000_000 + seq * 20_000 + 1);
    }
    const rep = r.report(11);
    expect(rep.received).toBe(10);
    expect(rep.loss).toBeCloseTo(1 / 11, 5);
    // 9 datagrams after the first over 200 ms: 9000 bytes → 360 kbps.
    expect(rep.kbps).toBe(360);
    expect(rep.jitterMs).toBe(0);
  });

  it('follows RFC 3550 jitter', () => {
    const r = new ProbeReceiver();
    // Transit alternates 0 and 16 ms: J += (16 - J)/16 after each change.
    let j = 0;
    for (let seq = 0; seq < 40; seq++) {
      r.add(seq, seq * 20_000, 100, seq * 20_000 + (seq % 2) * 16_000);
      if (seq > 0) j += (16_000 - j) / 16;
    }
    expect(r.report(40).jitterMs).toBe(Math.round(j / 1000));
    expect(r.report(40).jitterMs).toBeGreaterThan(10);
  });

  it('knows nothing from fewer than two datagrams', () => {
    const r = new ProbeReceiver();
    expect(r.report(5)).toEqual({ sent: 5, received: 0, loss: 1, kbps: -1, jitterMs: -1 });
    r.add(PROBE.MAX_PACKETS, 0, 100, 1); // past what is remembered: ignored
    expect(r.received).toBe(0);
    expect(r.report(0).loss).toBe(0);
  });
});

describe('parameters', () => {
  const ok = { sdkAppId: 1400000001, userId: 'alice', userSig: 'sig', expectedUpBandwidth: 10, expectedDownBandwidth: 5000, scene: 2 };
  it('accepts TRTCSpeedTestParams and fills defaults', () => {
    expect(checkSpeedTestParams(ok)).toMatchObject({ ...ok });
    expect(checkSpeedTestParams({ sdkAppId: 1, userId: 'u', userSig: 's' })).toMatchObject({
      scene: 2,
      expectedUpBandwidth: 0,
      expectedDownBandwidth: 0,
    });
    expect(checkSpeedTestParams({ ...ok, scene: 3, expectedDownBandwidth: 1000 }).scene).toBe(3);
  });

  const table: [string, unknown, number][] = [
    ['missing', undefined, 5001],
    ['not an object', 'x', 5002],
    ['no sdkAppId', { ...ok, sdkAppId: undefined }, 5001],
    ['string sdkAppId', { ...ok, sdkAppId: '1' }, 5002],
    ['sdkAppId 0', { ...ok, sdkAppId: 0 }, 5005],
    ['no userId', { ...ok, userId: undefined }, 5001],
    ['empty userId', { ...ok, userId: '' }, 5003],
    ['bad userId', { ...ok, userId: 'a b' }, 5005],
    ['no userSig', { ...ok, userSig: undefined }, 5001],
    ['empty userSig', { ...ok, userSig: '' }, 5003],
    ['scene 0', { ...ok, scene: 0 }, 5005],
    ['scene 4', { ...ok, scene: 4 }, 5005],
    ['up 9', { ...ok, expectedUpBandwidth: 9 }, 5005],
    ['down 5001', { ...ok, expectedDownBandwidth: 5001 }, 5005],
    ['negative', { ...ok, expectedUpBandwidth: -1 }, 5005],
    ['fraction', { ...ok, expectedUpBandwidth: 10.5 }, 5005],
    ['string bandwidth', { ...ok, expectedUpBandwidth: '100' }, 5002],
    ['chorus 1001', { ...ok, scene: 3, expectedDownBandwidth: 1001 }, 5005],
  ];
  for (const [name, p, extra] of table) {
    it(`refuses ${name}`, () => expect(codes(() => checkSpeedTestParams(p))).toEqual([5000, extra]));
  }
});

describe('results', () => {
  const good = { ...failedResult('127.0.0.1', ''), success: true, rtt: 1, upLostRate: 0, downLostRate: 0 };
  it('rates like the Go SDK', () => {
    const want = { expectedUpBandwidth: 1000, expectedDownBandwidth: 1000 };
    expect(rateSpeedTest({ ...good, availableUpBandwidth: 1000, availableDownBandwidth: 990, upJitter: 1, downJitter: 2 }, want)).toBe(1);
    expect(rateSpeedTest({ ...good, availableUpBandwidth: 1000, availableDownBandwidth: 400, upJitter: 1, downJitter: 2 }, want)).toBe(2);
    expect(rateSpeedTest({ ...good, upLostRate: 0.05 }, want)).toBe(3);
    expect(rateSpeedTest({ ...good, rtt: 700, availableUpBandwidth: 1 }, want)).toBe(5);
    // Scene 1: no bandwidth measured, nothing is short.
    expect(rateSpeedTest(good, { expectedUpBandwidth: 0, expectedDownBandwidth: 0 })).toBe(1);
  });

  it('sanitizes reports', () => {
    expect(reportOf({ sent: 10, received: 9, loss: 0.1, kbps: 99, jitterMs: 3 }, 0)).toEqual({
      sent: 10,
      received: 9,
      loss: 0.1,
      kbps: 99,
      jitterMs: 3,
    });
    expect(reportOf(null, 7)).toEqual({ sent: 7, received: 0, loss: 0, kbps: -1, jitterMs: -1 });
    expect(reportOf({ sent: -3, loss: 9, kbps: 'x', jitterMs: NaN }, 0)).toEqual({
      sent: 0,
      received: 0,
      loss: 1,
      kbps: -1,
      jitterMs: -1,
    });
  });

  it('keeps the candidates that can reach the server', () => {
    const sdp = ['v=0', 'a=candidate:1 1 udp 1 127.0.0.1 5000 typ host', 'a=candidate:2 1 udp 1 192.0.2.1 5000 typ host', 'a=end-of-candidates', ''].join('\r\n');
    const out = filterCandidates(sdp, (c) => c.includes('127.0.0.1'));
    expect(out).toBe(['v=0', 'a=candidate:1 1 udp 1 127.0.0.1 5000 typ host', 'a=end-of-candidates', ''].join('\r\n'));
  });
});

/** A WebSocket that opens only when told to. */
class FakeSocket implements SocketLike {
  readyState = 0;
  protocol = '';
  onopen: ((ev: any) => void) | null = null;
  onclose: ((ev: any) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: any }) => void) | null = null;
  sent: string[] = [];
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
  refuse(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: 'refused' });
  }
}

describe('startSpeedTest', () => {
  function deps(sockets: FakeSocket[], inRoom = false): (server: unknown) => SpeedTestDeps {
    return () => ({
      url: 'ws://127.0.0.1:7880/signal',
      socketFactory: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      createPC: () => {
        throw new Error('no PeerConnection in unit tests');
      },
      keepCandidate: () => true,
      inRoom,
    });
  }

  it('refuses bad parameters with 5000', async () => {
    await expect(startSpeedTest({ sdkAppId: 1, userId: 'u' }, deps([]))).rejects.toMatchObject({ code: 5000, extraCode: 5001 });
  });

  it('refuses with 5100 while a test runs, and runs again after it', async () => {
    const sockets: FakeSocket[] = [];
    const p = { sdkAppId: 1, userId: 'u', userSig: 's' };
    const first = startSpeedTest(p, deps(sockets));
    await expect(startSpeedTest(p, deps(sockets))).rejects.toMatchObject({ code: 5100, extraCode: 5104 });
    expect(sockets.length).toBe(1);
    sockets[0]!.refuse();
    const res = await first;
    expect(res.success).toBe(false);
    expect(res.errMsg).toMatch(/cannot reach the server/);
    expect([res.availableUpBandwidth, res.availableDownBandwidth, res.upJitter, res.downJitter]).toEqual([-1, -1, -1, -1]);
    const again = startSpeedTest(p, deps(sockets));
    expect(sockets.length).toBe(2);
    sockets[1]!.refuse();
    expect((await again).success).toBe(false);
  });

  it('refuses with 5100 in a room', async () => {
    await expect(startSpeedTest({ sdkAppId: 1, userId: 'u', userSig: 's' }, deps([], true))).rejects.toMatchObject({
      code: 5100,
    });
  });
});

describe('random input', () => {
  // Seeded, so a failure repeats.
  function rng(seed: number) {
    return () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
  }

  it('parses any bytes without throwing, and what parses encodes back', () => {
    const r = rng(8);
    for (let i = 0; i < 3000; i++) {
      const b = new Uint8Array(Math.floor(r() * 120));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(r() * 256);
      if (b.length > 2 && r() < 0.5) {
        b[0] = PROBE.MAGIC;
        b[1] = PROBE.VERSION;
        b[2] = 1 + Math.floor(r() * 5);
      }
      // Times are µs (below 2^53, exact as numbers): keep random ones so.
      for (const k of [24, 25, 32, 33]) if (k < b.length) b[k] = 0;
      const p = parseProbe(b);
      if (!p) continue;
      const again = encodeProbe(p);
      b[3] = 0; // reserved: encoded as 0
      expect(hex(again.subarray(0, PROBE.HEADER))).toBe(hex(b.subarray(0, PROBE.HEADER)));
    }
  });

  it('takes any response data as a report', () => {
    const r = rng(9);
    const values = [undefined, null, -1, 0, 1e300, NaN, Infinity, 'x', {}, [], true];
    for (let i = 0; i < 1000; i++) {
      const o: Record<string, unknown> = {};
      for (const k of ['sent', 'received', 'loss', 'kbps', 'jitterMs']) o[k] = values[Math.floor(r() * values.length)];
      const rep = reportOf(r() < 0.1 ? values[Math.floor(r() * values.length)] : o, 3);
      expect(rep.loss >= 0 && rep.loss <= 1 && rep.sent >= 0 && Number.isFinite(rep.kbps + rep.jitterMs + rep.sent)).toBe(true);
    }
  });
});
